"""The embed script, frame headers, and the landing page."""

from __future__ import annotations


def test_it_serves_widget_js_as_javascript(world, client):
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    body = response.content.decode()
    assert "/widget/?" in body and "embed=1" in body and "tsur-widget:height" in body
    assert 'FALLBACK_ORIGIN = "http://testserver"' in body
    assert "public" in response["Cache-Control"]


def test_it_lets_other_sites_frame_the_widget_only(world, client):
    assert "X-Frame-Options" not in client.get("/widget/?embed=1")
    assert "X-Frame-Options" not in client.get("/widget/")
    assert client.get("/workspace/")["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/")["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/status/")["X-Frame-Options"] == "SAMEORIGIN"


def test_it_shows_the_landing_page_with_the_embed_snippets(world, client, settings):
    settings.ALLOWED_HOSTS = ["portal.example.org"]
    response = client.get("/", HTTP_HOST="portal.example.org")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Сообщить о проблеме" in html and "Проверить статус обращения" in html
    assert '&lt;script src="http://portal.example.org/widget.js" async&gt;&lt;/script&gt;' in html
    assert "http://portal.example.org/widget/?embed=1" in html and "&lt;iframe" in html
    assert 'data-category="snow" async' in html  # the first public category, as an example
    assert "Область" in html  # the region's name comes from the data
