"""A resident in real Chromium: writes through the widget (alone and embedded in another site by
the one-line script), follows the private link, reads the answer and rates it."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import pytest

from tests.intake.helpers import drive_to_published, png_bytes
from tsur.appeals.models import Appeal, Attachment, Status

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# A point in the city of Kaluga: inside a municipal boundary of the shipped map and inside the
# test world's region (and its "city").
POINT = (54.53, 36.27)


def shot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def click_on_map(page, lat: float, lon: float) -> None:
    x, y = page.evaluate(
        """([lat, lon]) => {
            const el = document.getElementById('map');
            const p = el.tsurMap.latLngToContainerPoint([lat, lon]);
            const box = el.getBoundingClientRect();
            return [box.left + el.clientLeft + p.x, box.top + el.clientTop + p.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def test_it_lets_a_resident_report_follow_and_rate(live_server, transactional_db, world, page):
    page.goto(f"{live_server.url}/")
    shot(page, "00-landing")
    page.click("text=Сообщить о проблеме >> nth=1")  # the big button (the first is in the header)
    page.wait_for_selector("#id_text")
    assert page.title().startswith("Сообщить о проблеме")
    page.fill("#id_text", "Большая яма на дороге у остановки «Площадь Победы», машины бьют колёса")
    assert "из" in page.inner_text("#text-counter")
    page.select_option("#id_category", "pothole")

    page.wait_for_selector("[data-map-block][data-map-state=ready], [data-map-block][data-map-state=unavailable]")
    map_ready = page.get_attribute("[data-map-block]", "data-map-state") == "ready"
    if map_ready:
        page.locator("#map").scroll_into_view_if_needed()
        click_on_map(page, *POINT)
        assert page.input_value("#id_lat") != ""
        assert "Точка выбрана" in page.inner_text("[data-map-status]")
    else:
        page.fill("#id_address", "ул. Ленина, 1")
    page.set_input_files("#id_photos", files=[{"name": "yama.png", "mimeType": "image/png", "buffer": png_bytes("orange", (64, 48))}])
    assert "yama.png" in page.inner_text("[data-photo-list]")
    shot(page, "01-widget-form-filled")

    page.click("[data-submit]")
    page.wait_for_selector("[data-tracking-number]")
    number = page.inner_text("[data-tracking-number]").strip()
    link = page.input_value("[data-status-link]")
    shot(page, "02-widget-done")
    appeal = Appeal.objects.get(number=number)
    assert appeal.channel == "widget" and appeal.category.code == "pothole"
    assert Attachment.objects.filter(appeal=appeal).count() == 1
    if map_ready:
        assert appeal.lat == pytest.approx(POINT[0], abs=0.03) and appeal.lon == pytest.approx(POINT[1], abs=0.03)  # a few pixels
        assert appeal.territory == world.city
    assert link == f"{live_server.url}/status/{number}/{appeal.access_key}/"

    page.goto(link)
    assert page.inner_text("[data-status]").strip() == "На модерации"
    shot(page, "03-status-moderation")

    drive_to_published(world, appeal)
    page.reload()
    assert page.inner_text("[data-status]").strip() == "Ответ опубликован"
    assert "Яма заделана" in page.inner_text(".answer")
    shot(page, "04-status-published")
    page.click("label[for=score-5]")
    page.fill("#id_comment", "Спасибо, всё сделали")
    shot(page, "05-rating-chosen", full_page=False)
    page.click(".rating-form button[type=submit]")
    page.wait_for_selector("#rating-result")
    assert "Спасибо за оценку" in page.inner_text("#rating-result")
    assert page.inner_text("[data-status]").strip() == "Закрыто"
    shot(page, "06-status-closed")
    appeal.refresh_from_db()
    assert appeal.status == Status.CLOSED and appeal.close_reason == "satisfied"


def test_it_shows_errors_next_to_the_fields(live_server, transactional_db, world, page):
    page.goto(f"{live_server.url}/widget/")
    page.fill("#id_email", "не почта")
    page.set_input_files("#id_photos", files=[{"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}])
    page.click("[data-submit]")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "текст обращения не может быть пустым" in page.inner_text("#text-err")
    assert "Проверьте адрес электронной почты" in page.inner_text("#email-err")
    assert "не изображение" in page.inner_text("#photos-err")
    assert "подтвердите согласие" in page.inner_text("#consent-err")
    assert page.input_value("#id_email") == "не почта"
    shot(page, "07-widget-errors")
    assert Appeal.objects.count() == 0


def test_it_fits_a_phone_screen(live_server, transactional_db, world, browser):
    context = browser.new_context(locale="ru-RU", viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        for path, name in (("/", "08-mobile-landing"), ("/widget/", "09-mobile-widget")):
            page.goto(f"{live_server.url}{path}")
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
            shot(page, name)
        heights = page.evaluate(
            "[...document.querySelectorAll('input[type=text], select, textarea, button')]"
            ".filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect().height)"
        )
        assert min(heights) >= 44
    finally:
        context.close()


@pytest.fixture
def host_site(tmp_path):
    """A second, unrelated web site (another origin) that will embed the widget."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_it_embeds_the_widget_with_one_line_on_another_site(live_server, transactional_db, world, page, host_site):
    root, host_url = host_site
    widget_origin = live_server.url.replace("127.0.0.1", "localhost")  # a different site from the host page
    (root / "index.html").write_text(
        "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Администрация района</title></head>"
        "<body style='font-family:sans-serif;margin:0;background:#eee'>"
        "<header style='background:#7a1f1f;color:#fff;padding:16px'>Официальный сайт администрации района</header>"
        "<main style='max-width:800px;margin:16px auto;background:#fff;padding:16px'><h1>Обращения граждан</h1>"
        f'<script src="{widget_origin}/widget.js" data-category="garbage" async></script>'
        "<p>Текст после формы.</p></main></body></html>",
        encoding="utf-8",
    )
    page.goto(f"{host_url}/index.html")
    frame_el = page.wait_for_selector("iframe.tsur-widget-frame")
    assert frame_el.get_attribute("src").startswith(f"{widget_origin}/widget/?embed=1&category=garbage")
    frame = frame_el.content_frame()
    frame.wait_for_selector("#id_text")
    assert frame.locator(".site-header").count() == 0  # compact layout
    assert frame.input_value("#id_category") == "garbage"
    # Auto-height: the iframe grows to the form instead of keeping the initial 1200 px with a scrollbar.
    page.wait_for_function(
        "() => { const f = document.querySelector('iframe.tsur-widget-frame'); return f && f.style.height !== '1200px'; }"
    )
    form_height = frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    frame_height = page.evaluate("document.querySelector('iframe.tsur-widget-frame').getBoundingClientRect().height")
    assert abs(frame_height - form_height) <= 2
    # Out-of-process iframes are painted only inside the viewport: take viewport-sized shots.
    shot(page, "10-embedded-form-top", full_page=False)
    page.mouse.wheel(0, 900)
    page.wait_for_timeout(200)
    shot(page, "10-embedded-form-middle", full_page=False)

    frame.fill("#id_text", "Контейнерную площадку не убирают вторую неделю")
    frame.fill("#id_address", "с. Село, ул. Садовая, 5")
    frame.click("[data-submit]")
    frame.wait_for_selector("[data-tracking-number]")
    number = frame.inner_text("[data-tracking-number]").strip()
    appeal = Appeal.objects.get(number=number)
    assert appeal.category.code == "garbage" and appeal.channel == "widget"
    assert re.fullmatch(r"\d{4}-\d{6}", number)
    assert frame.get_attribute("[data-open-status]", "target") == "_blank"
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelector('iframe.tsur-widget-frame').getBoundingClientRect().top") >= 0  # scrolled into view
    shot(page, "11-embedded-done", full_page=False)


def test_it_works_without_javascript(live_server, transactional_db, world, browser):
    context = browser.new_context(locale="ru-RU", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/widget/")
        assert not page.is_visible("#map")  # the map is an enhancement; the address fields are enough
        page.fill("#id_text", "Не работает уличное освещение на всей улице")
        page.select_option("#id_territory", "village")
        page.fill("#id_address", "ул. Полевая")
        page.click("[data-submit]")
        page.wait_for_selector("[data-tracking-number]")
        appeal = Appeal.objects.get(number=page.inner_text("[data-tracking-number]").strip())
        assert appeal.territory == world.village and appeal.address == "ул. Полевая"
    finally:
        context.close()
