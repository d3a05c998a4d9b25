"""The resident form: a valid submission becomes a widget appeal; every problem is shown next to
its field in Russian and nothing is written."""

from __future__ import annotations

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.intake.helpers import field_errors, form_token, png_upload
from tsur.appeals.models import Appeal, Attachment, Resident, Status


def post(client, data: dict, *, url: str = "/widget/", token: str | None = None, **extra):
    payload = {"form_token": form_token(client) if token is None else token}
    payload.update(data)
    return client.post(url, payload, **extra)


def test_it_creates_a_widget_appeal_and_shows_the_tracking_number(world, client):
    response = post(client, {
        "text": "Большая яма на дороге у школы,\r\nмашины объезжают по встречной",
        "category": "pothole",
        "territory": "district",
        "address": "ул. Школьная, 3",
        "name": "Мария Иванова",
        "email": "maria@example.org",
        "phone": "+7 900 123-45-67",
        "consent": "1",
    })
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert response["Location"] == f"/widget/done/{appeal.number}/{appeal.access_key}/"
    assert appeal.channel == "widget" and appeal.regime == "message"
    assert appeal.text == "Большая яма на дороге у школы,\nмашины объезжают по встречной"
    assert appeal.category.code == "pothole" and appeal.territory.code == "district" and appeal.address == "ул. Школьная, 3"
    assert appeal.status == Status.MODERATION
    resident = Resident.objects.get()
    assert appeal.resident == resident
    assert (resident.name, resident.email, resident.phone) == ("Мария Иванова", "maria@example.org", "+7 900 123-45-67")

    done = client.get(response["Location"])
    html = done.content.decode()
    assert done.status_code == 200
    assert re.search(rf'class="tracking-number"[^>]*>{appeal.number}<', html)
    assert f"http://testserver/status/{appeal.number}/{appeal.access_key}/" in html
    assert "ключ к вашему обращению" in html
    assert done["Cache-Control"] == "no-store"


def test_it_accepts_an_anonymous_appeal_with_a_point_on_the_map(world, client):
    response = post(client, {"text": "Не горят фонари во дворе", "lat": "54.55", "lon": "36.25"})
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.resident is None
    assert (appeal.lat, appeal.lon) == (54.55, 36.25)
    assert appeal.territory == world.city  # found from the point


def test_it_keeps_the_embedded_layout_through_the_submission(world, client):
    page = client.get("/widget/?embed=1&category=snow")
    html = page.content.decode()
    assert 'class="is-embed' in html and "site-header" not in html
    assert '<option value="snow" selected>' in html
    response = post(client, {"text": "Не чистят снег на остановке", "category": "snow", "embed": "1"}, url="/widget/?embed=1")
    assert response.status_code == 302 and response["Location"].endswith("/?embed=1")
    done = client.get(response["Location"]).content.decode()
    assert "site-header" not in done and 'target="_blank"' in done


def test_it_works_without_the_csrf_cookie_as_an_iframe_on_another_site_would(world):
    client = Client(enforce_csrf_checks=True)
    assert not client.get("/widget/?embed=1").cookies  # the widget sets no cookie at all
    token = form_token(client)
    client.cookies.clear()  # a third-party iframe does not get our cookies back
    response = client.post("/widget/", {"form_token": token, "text": "Мусор не вывозят неделю"}, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    assert Appeal.objects.count() == 1


def test_it_returns_the_same_appeal_when_the_form_is_sent_twice(world, client):
    token = form_token(client)
    first = client.post("/widget/", {"form_token": token, "text": "Яма у подъезда"})
    second = client.post("/widget/", {"form_token": token, "text": "Яма у подъезда"})
    assert first["Location"] == second["Location"]
    assert Appeal.objects.count() == 1


def test_it_shows_a_russian_error_next_to_the_text_when_it_is_missing(world, client):
    response = post(client, {"text": "   ", "address": "ул. Ленина, 1", "name": "Пётр", "consent": "1"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Опишите проблему: текст обращения не может быть пустым." in field_errors(html, "text")
    assert 'id="error-summary"' in html and 'href="#id_text"' in html
    # What the resident typed is kept.
    assert 'value="ул. Ленина, 1"' in html and 'value="Пётр"' in html and 'name="consent" type="checkbox" value="1" checked' in html
    assert Appeal.objects.count() == 0 and Resident.objects.count() == 0


def test_it_refuses_a_text_over_the_limit(world, client, settings):
    settings.TSUR_MAX_TEXT_CHARS = 50
    response = post(client, {"text": "я" * 51})
    assert "не более 50" in field_errors(response.content.decode(), "text")
    assert Appeal.objects.count() == 0


def test_it_counts_a_line_break_as_one_character(world, client, settings):
    settings.TSUR_MAX_TEXT_CHARS = 22
    response = post(client, {"text": "строка один\r\nстрока два"})  # 22 characters with "\n", 23 with "\r\n"
    assert response.status_code == 302


def test_it_rejects_text_bytes_named_jpg_and_writes_nothing(world, client):
    fake = SimpleUploadedFile("photo.jpg", b"this is not an image at all", content_type="image/jpeg")
    response = post(client, {"text": "Яма на дороге", "photos": [png_upload(), fake]})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Фото 2: это не изображение JPEG, PNG или WebP" in field_errors(html, "photos")
    assert "выберите фотографии ещё раз" in html
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0


def test_it_refuses_more_photos_than_allowed(world, client, settings):
    settings.TSUR_MAX_PHOTOS = 2
    photos = [png_upload(f"p{i}.png") for i in range(3)]
    response = post(client, {"text": "Яма на дороге", "photos": photos})
    assert "не более 2 фотографий" in field_errors(response.content.decode(), "photos")
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0


def test_it_saves_a_valid_png_as_an_attachment(world, client):
    response = post(client, {"text": "Яма на дороге", "photos": [png_upload("IMG_0001 Мария.png")]})
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.appeal == Appeal.objects.get()
    assert (attachment.content_type, attachment.width, attachment.height) == ("image/png", 24, 16)
    assert "Мария" not in attachment.file.name and attachment.file.name.endswith(".png")


def test_it_refuses_a_point_outside_the_region(world, client):
    response = post(client, {"text": "Яма на дороге", "lat": "59.93", "lon": "30.31"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Точка на карте находится за пределами региона." in field_errors(html, "location")
    assert 'name="lat" id="id_lat" value="59.93"' in html
    assert Appeal.objects.count() == 0


def test_it_refuses_half_a_point(world, client):
    response = post(client, {"text": "Яма на дороге", "lat": "54.5"})
    assert "не полностью" in field_errors(response.content.decode(), "location")
    assert Appeal.objects.count() == 0


def test_it_asks_for_consent_when_a_contact_is_given(world, client):
    response = post(client, {"text": "Яма на дороге", "email": "a@example.org"})
    html = response.content.decode()
    assert "подтвердите согласие на обработку персональных данных" in field_errors(html, "consent")
    assert Appeal.objects.count() == 0 and Resident.objects.count() == 0


def test_it_shows_format_errors_of_contacts(world, client):
    response = post(client, {"text": "Яма на дороге", "email": "not-an-email", "phone": "звоните", "consent": "1"})
    html = response.content.decode()
    assert "Проверьте адрес электронной почты." in field_errors(html, "email")
    assert "Укажите телефон цифрами" in field_errors(html, "phone")
    assert Appeal.objects.count() == 0


def test_it_refuses_an_unknown_or_hidden_category(world, client):
    world.heating.is_public = False
    world.heating.save()
    page = client.get("/widget/").content.decode()
    assert 'value="heating"' not in page and '<optgroup label="Дороги">' in page
    response = post(client, {"text": "Нет отопления", "category": "heating"})
    assert "Выберите значение из списка." in field_errors(response.content.decode(), "category")
    assert Appeal.objects.count() == 0


def test_it_refuses_a_missing_form_token_with_a_clear_message(world, client):
    response = post(client, {"text": "Яма на дороге"}, token="")
    html = response.content.decode()
    assert response.status_code == 400
    assert "Форма отправлена не со страницы обращения" in html
    assert "Яма на дороге</textarea>" in html  # the text is kept
    assert Appeal.objects.count() == 0


def test_it_refuses_a_forged_form_token(world, client):
    response = post(client, {"text": "Яма на дороге"}, token="forged:token")
    assert "Форма повреждена" in response.content.decode()
    assert Appeal.objects.count() == 0


def test_it_refuses_an_expired_form_token_and_offers_a_fresh_one(world, client, monkeypatch, settings):
    settings.TSUR_WIDGET_FORM_MAX_AGE = 3600
    token = form_token(client)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 2 * 3600)
    response = client.post("/widget/", {"form_token": token, "text": "Яма на дороге"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Форма была открыта слишком давно" in html
    assert Appeal.objects.count() == 0
    monkeypatch.setattr(time, "time", real_time)
    fresh = re.search(r'name="form_token" value="([^"]+)"', html).group(1)
    assert fresh != token
    assert client.post("/widget/", {"form_token": fresh, "text": "Яма на дороге"}).status_code == 302


@pytest.mark.parametrize("path", ["/widget/", "/widget/?embed=1"])
def test_it_renders_the_form_with_the_limit_and_the_map_data(world, client, settings, path):
    settings.TSUR_MAX_TEXT_CHARS = 1234
    settings.TSUR_MAP_TILE_URL = ""
    html = client.get(path).content.decode()
    assert 'data-max-chars="1234"' in html
    assert 'data-geojson="/widget/boundaries.geojson"' in html and 'data-tiles=""' in html
    assert 'data-bounds="53.0,35.0,55.0,37.0"' in html
    assert '<optgroup label="Район">' in html and '<option value="village">Село</option>' in html
    assert 'accept="image/*" multiple' in html


def test_it_passes_a_configured_tile_url_to_the_map(world, client, settings):
    settings.TSUR_MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in client.get("/widget/").content.decode()


def test_the_map_draws_the_configured_municipal_formations(world, client):
    """Boundaries come from the territories in the database (another region is another
    configuration, not another file), with an ETag so browsers revalidate cheaply."""
    response = client.get("/widget/boundaries.geojson")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/geo+json")
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert {f["properties"]["code"] for f in data["features"]} == {"city", "district"}
    city = next(f for f in data["features"] if f["properties"]["code"] == "city")
    assert city["properties"]["name"] == "Город" and city["geometry"] == world.city.boundary
    again = client.get("/widget/boundaries.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    world.district.name = "Район (переименован)"
    world.district.save()
    assert client.get("/widget/boundaries.geojson", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_its_lists_and_region_are_kept_per_process_and_follow_a_change(settings, client):
    """The category and territory lists and the region's name and map bounds are kept per process
    (tsur.core.refcache): a second page reads none of them; an administrator's change shows on the
    next page all the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import build_world
    from tsur.directory.models import Category
    from tsur.intake import forms, views

    world = build_world()
    settings.TSUR_REFERENCE_CACHE_SECONDS = 600
    for cached in (forms._CATEGORY_CHOICES, forms._TERRITORY_CHOICES, views._REGION):
        cached.forget()  # nothing kept from another test
    assert "Ямы на дороге" in client.get("/widget/").content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/widget/").status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if "directory_" in q["sql"]]

    Category.objects.create(code="new-cat", block=world.roads, name="Новая категория", is_public=True)
    world.region.name = "Переименованная область"
    world.region.save()
    page = client.get("/widget/").content.decode()
    assert "Новая категория" in page and "Переименованная область" in page
