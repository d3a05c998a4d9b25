"""A real browser follows the heating-main burst as the center's operator: the monitoring sources →
the heating-network sensors in alarm → an event with its linked appeals → an appeal's card with
«Объективный контроль» → the point of tension with its explanation and the events behind it → the
map's layer of events; then, after the repair is replayed, the point's objective closure and the
card's proof. Screenshots at 1366×768 into /tmp/shots/m3/ (TSUR_SHOTS to change)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import login
from tsur.appeals.models import Appeal
from tsur.appeals.services import NewAppeal, create_appeals
from tsur.core import clock
from tsur.demo.monitoring import load_sources
from tsur.directory.models import Category
from tsur.monitoring.models import MonitoringEvent
from tsur.monitoring.simulate import burst, deliver
from tsur.monitoring.simulate.places import CITY_PLACES

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(os.environ.get("TSUR_SHOTS", "/tmp/shots/m3"))
SEED = 11


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def baseline(now: dt.datetime) -> None:
    """Ten weeks of a now-and-then heating complaint somewhere in the city."""
    items = [
        NewAppeal(
            channel="widget", text=f"Слабо греют батареи, {p.short}", category_code="housing-heating-mkd", address=p.address,
            lat=p.lat, lon=p.lon, received_at=now - dt.timedelta(days=n, hours=3),
        )
        for n in range(72, 2, -3)
        for p in [CITY_PLACES[n % len(CITY_PLACES)]]
    ]  # fmt: skip
    with clock.at(now - dt.timedelta(days=2)):
        create_appeals(items)


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_it_follows_a_burst_from_the_events_to_the_point_and_its_closure(page, live_server, world):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    Category.objects.create(code="housing-heating-mkd", block=world.housing, name="Отопление в многоквартирном доме")
    load_sources()
    now = timezone.now()
    failure = (now - dt.timedelta(hours=44)).replace(second=0, microsecond=0)
    baseline(failure)
    steps = burst.timeline(failure, SEED).steps
    repair = failure + dt.timedelta(hours=18)
    deliver.run_steps([s for s in steps if s.at < repair], deliver.InProcess())

    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/center/")
    page.get_by_role("link", name="Мониторинг").click()
    expect()(page.get_by_test_id("monitoring-sources")).to_contain_text("Датчики теплосети, водопровода и воздуха")
    shot(page, "01-sources")

    page.get_by_role("link", name="Датчики теплосети, водопровода и воздуха — Калуга").click()
    alarms = page.get_by_test_id("source-alarms")
    expect()(alarms).to_contain_text("Датчики вне нормы (3)")
    expect()(page.locator("#source-chart svg")).to_be_visible()
    shot(page, "02-source-sensors")

    alarms.get_by_role("link").first.click()
    expect()(page.get_by_test_id("event-links")).to_contain_text("Связанные обращения (36)")
    expect()(page.get_by_test_id("event-versions")).to_contain_text("Данные источника")
    shot(page, "03-event")

    page.get_by_test_id("event-links").get_by_role("link").first.click()
    section = page.get_by_test_id("objective-control")
    expect()(section).to_contain_text("Подтверждено объективным контролем")
    expect()(section).to_contain_text("Система-112 Калужской области")
    section.scroll_into_view_if_needed()
    shot(page, "04-card-confirmed")
    number = page.locator("#card").get_attribute("data-number")

    page.goto(f"{live_server.url}/workspace/center/tension/")
    rows = page.get_by_test_id("tension-list").locator("tbody tr")
    expect()(rows).to_have_count(1)
    expect()(rows.first).to_contain_text("Отопление в многоквартирном доме")
    shot(page, "05-tension-list")
    rows.first.get_by_role("link").first.click()
    expect()(page.get_by_test_id("tension-explanation")).to_contain_text("подтверждено объективным контролем")
    objective = page.get_by_test_id("tension-objective")
    expect()(objective).to_contain_text("Давление в подающем трубопроводе теплосети")
    expect()(objective).to_contain_text("действует")
    objective.scroll_into_view_if_needed()
    shot(page, "06-point-confirmed")
    point_url = page.url

    page.goto(f"{live_server.url}/workspace/center/map/")
    block = page.locator("[data-center-map]")
    expect()(block).to_have_attribute("data-map-state", "ready")
    assert int(block.get_attribute("data-events-drawn")) >= 10  # 3 sensor events and 7 calls
    page.locator(".ev-marker-sensor").first.click()
    expect()(page.get_by_test_id("map-event-link")).to_be_visible()
    shot(page, "07-map-events")

    # The repair: the readings back to normal, the calls and the inspection's case closed.
    deliver.run_steps([s for s in steps if repair <= s.at <= now], deliver.InProcess())
    assert set(MonitoringEvent.objects.filter(source__code="kaluga-sensors").values_list("state", flat=True)) == {"resolved"}
    page.goto(point_url)
    closure = page.get_by_test_id("objective-closure")
    expect()(closure).to_contain_text("Объективное закрытие: все связанные события завершены")
    closure.scroll_into_view_if_needed()
    shot(page, "08-point-closure")

    page.goto(f"{live_server.url}/workspace/appeals/{number}/")
    expect()(page.get_by_test_id("objective-control")).to_contain_text("Устранение подтверждено")
    page.get_by_test_id("objective-control").scroll_into_view_if_needed()
    shot(page, "09-card-proof")

    page.goto(f"{live_server.url}/workspace/center/monitoring/events/?source=kaluga-sensors")
    expect()(page.get_by_test_id("events-list")).to_contain_text("устранено")
    shot(page, "10-events-resolved")
    assert Appeal.objects.filter(external_id__startswith=f"burst-{SEED}-").count() == 36
    assert errors == []
