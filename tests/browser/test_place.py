"""Place done right, in real Chromium: choosing a territory moves the widget's map; a point
outside it is questioned at once, refused by the server with a Russian message, accepted when the
resident confirms it; the card then flags the pair, and an operator moves the point on the card's
map and saves it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import htmx_settled, login
from tests.factories import make_user
from tsur.accounts.models import Role
from tsur.appeals.models import Appeal, Event
from tsur.appeals.services import NewAppeal, create_appeal
from tsur.demo.loader import load_reference
from tsur.directory.models import Organisation

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("TSUR_PLACE_SHOTS", Path(__file__).resolve().parents[2] / "var" / "screenshots"))
IN_DISTRICT = (53.5, 35.5)  # the test world's «Район»
IN_CITY = (54.55, 36.25)  # the test world's «Город»


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def bounds(page, selector: str) -> list[float]:
    return page.evaluate(
        "(sel) => { const b = document.querySelector(sel).tsurMap.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }",
        selector,
    )


def click_on_map(page, selector: str, lat: float, lon: float) -> None:
    x, y = page.evaluate(
        """([sel, lat, lon]) => {
            const el = document.querySelector(sel);
            const p = el.tsurMap.latLngToContainerPoint([lat, lon]);
            const box = el.getBoundingClientRect();
            return [box.left + el.clientLeft + p.x, box.top + el.clientTop + p.y];
        }""",
        [selector, lat, lon],
    )
    page.mouse.click(x, y)


def test_it_questions_a_point_outside_the_territory_and_lets_the_operator_move_it(live_server, transactional_db, world, page):
    page.goto(f"{live_server.url}/widget/")
    page.wait_for_selector("[data-map-block][data-map-state=ready]")
    page.locator("#map").scroll_into_view_if_needed()
    whole = bounds(page, "#map")

    page.select_option("#id_territory", "city")
    zoomed = bounds(page, "#map")
    assert zoomed != whole
    south, west, north, east = zoomed
    assert south < IN_CITY[0] < north and west < IN_CITY[1] < east  # the view is on «Город»
    assert not (south < IN_DISTRICT[0] < north and west < IN_DISTRICT[1] < east)

    # Out to the whole region again (as a resident would scroll out), then a point in «Район».
    page.evaluate("document.getElementById('map').tsurMap.fitBounds([[53, 35], [55, 37]], {animate: false})")
    click_on_map(page, "#map", *IN_DISTRICT)
    warning = page.locator("[data-place-warning]")
    expect()(warning).to_be_visible()
    expect()(warning).to_contain_text("Точка на карте стоит в «Район», а выбрана территория «Город»")
    expect()(page.locator("[data-place-pick]")).to_have_text("Выбрать «Район»")
    assert page.input_value("#id_territory") == "city"  # the resident's choice is not overwritten
    page.fill("#id_text", "Не горят фонари на улице у дома 5, темно уже неделю")
    shot(page, "place-01-widget-warning")

    page.click("[data-submit]")
    page.wait_for_load_state("networkidle")
    expect()(page.locator("#error-summary")).to_contain_text("Точка на карте стоит в «Район», а выбрана территория «Город»")
    expect()(page.locator("[data-place-warning]")).to_be_visible()
    assert not Appeal.objects.exists()
    shot(page, "place-02-widget-refused")

    page.check("#id_point_confirmed")
    page.click("[data-submit]")
    page.wait_for_url("**/widget/done/**")
    appeal = Appeal.objects.get()
    assert appeal.territory == world.city
    assert (round(appeal.lat, 2), round(appeal.lon, 2)) == IN_DISTRICT

    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/appeals/{appeal.number}/")
    flag = page.locator("[data-testid=place-outside]")
    expect()(flag).to_contain_text("Точка вне территории «Город»: она в «Район»")
    expect()(page.locator("[data-testid=place-map-caption]")).to_contain_text("оранжевая — «Район», где стоит точка")
    page.wait_for_selector(".appeal-map.leaflet-container")
    page.locator(".appeal-map").scroll_into_view_if_needed()
    shot(page, "place-03-card-flag")

    click_on_map(page, ".appeal-map", *IN_CITY)
    form = page.locator('details[data-action="change_place"]')
    expect()(form).to_have_attribute("open", "")
    lat = float(form.locator("input[name='change_place-lat']").input_value())
    lon = float(form.locator("input[name='change_place-lon']").input_value())
    assert abs(lat - IN_CITY[0]) < 0.01 and abs(lon - IN_CITY[1]) < 0.01
    with htmx_settled(page):
        form.locator("button[type=submit]").click()
    expect()(page.locator("[data-testid=place-point]")).to_have_text(f"{lat:.5f}, {lon:.5f}")
    expect()(page.locator("[data-testid=place-outside]")).to_have_count(0)
    expect()(page.locator("#card")).to_contain_text("Точка перенесена")
    appeal.refresh_from_db()
    assert (appeal.lat, appeal.lon) == (lat, lon)
    event = Event.objects.get(appeal=appeal, kind="change_place")
    assert event.data["before"]["point"] == pytest.approx(list(IN_DISTRICT), abs=0.01)
    assert event.data["after"]["point"] == [lat, lon]
    shot(page, "place-04-card-moved")


LABEL_BOXES = """() => Array.from(document.querySelectorAll(SEL + ' .tsur-place-name')).map(e => {
    const r = e.getBoundingClientRect(); return [e.textContent, r.left, r.top, r.right, r.bottom];
})"""


def label_boxes(page, selector: str) -> list:
    return page.evaluate(LABEL_BOXES.replace("SEL", repr(selector)))


def assert_no_overlap(boxes: list) -> None:
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1 :]:
            assert not (ax0 < bx1 and ax1 > bx0 and ay0 < by1 and ay1 > by0), f"«{a}» overlaps «{b}»"


def test_it_labels_the_shipped_places_by_zoom_without_flooding(live_server, transactional_db, page):
    load_reference()
    page.goto(f"{live_server.url}/widget/")
    page.wait_for_selector("#map[data-places-state=ready]")
    page.locator("#map").scroll_into_view_if_needed()
    region = label_boxes(page, "#map")
    names = {b[0] for b in region}
    assert "Калуга" in names and "Обнинск" in names
    assert not {"Полотняный Завод", "Товарково"} & names  # villages wait for a closer zoom
    assert 5 <= len(region) <= 70
    assert_no_overlap(region)
    shot(page, "place-05-widget-region-labels")

    page.select_option("#id_territory", "dzerzhinskiy-rayon")
    closer = label_boxes(page, "#map")
    assert {b[0] for b in closer} - names, "a closer view labels more places"
    assert_no_overlap(closer)
    shot(page, "place-06-widget-district-labels")

    page.select_option("#id_territory", "borovsk")  # a settlement with a centre point: the map goes to it
    expect()(page.locator("#map .tsur-place-name", has_text="Боровск")).to_be_visible()
    view_centre = page.evaluate("(() => { const c = document.getElementById('map').tsurMap.getCenter(); return [c.lat, c.lng]; })()")
    assert abs(view_centre[0] - 55.21301) < 0.02 and abs(view_centre[1] - 36.49263) < 0.02

    center = Organisation.objects.get(kind="center")
    make_user("operator", Role.REGIONAL_OPERATOR, organisation=center)
    appeal = create_appeal(NewAppeal(channel="app", text="Яма на дороге у остановки, колёса бьют", territory_code="kaluga", lat=54.34, lon=35.30))
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/appeals/{appeal.number}/")
    expect()(page.locator("[data-testid=place-outside]")).to_contain_text("Точка вне территории «Калуга»: она в «Мещовский район»")
    page.wait_for_selector(".appeal-map[data-places-state=ready]")
    assert_no_overlap(label_boxes(page, ".appeal-map"))
    page.locator(".appeal-map").scroll_into_view_if_needed()
    shot(page, "place-07-card-kaluga-meshchovsk")

    page.goto(f"{live_server.url}/workspace/center/map/")
    page.wait_for_selector("#center-map[data-places-state=ready]")
    page.wait_for_selector("#center-map .leaflet-control-layers")
    boxes = label_boxes(page, "#center-map")
    assert "Калуга" in {b[0] for b in boxes}
    control = page.locator("#center-map .leaflet-control-layers").bounding_box()
    control_box = ["переключатель слоёв", control["x"], control["y"], control["x"] + control["width"], control["y"] + control["height"]]
    assert_no_overlap([*boxes, control_box])  # no name hides under the layer switch either
    shot(page, "place-08-center-map-labels")


def test_it_offers_the_territory_the_point_is_in_on_a_phone(live_server, transactional_db, world, browser):
    context = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/widget/")
        page.wait_for_selector("[data-map-block][data-map-state=ready]")
        page.select_option("#id_territory", "district")
        page.evaluate("document.getElementById('map').tsurMap.fitBounds([[53, 35], [55, 37]], {animate: false})")
        page.locator("#map").scroll_into_view_if_needed()
        click_on_map(page, "#map", *IN_CITY)
        pick = page.locator("[data-place-pick]")
        expect()(pick).to_have_text("Выбрать «Город»")
        page.locator("[data-place-warning]").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / "place-09-phone-warning.png"))
        pick.click()
        assert page.input_value("#id_territory") == "city"
        expect()(page.locator("[data-place-warning]")).to_be_hidden()
        page.fill("#id_text", "Не горят фонари на улице у дома 5, темно уже неделю")
        page.click("[data-submit]")
        page.wait_for_url("**/widget/done/**")
        appeal = Appeal.objects.get()
        assert appeal.territory == world.city
    finally:
        context.close()
