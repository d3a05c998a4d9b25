"""The queue in real Chromium at 1366×768: density, one request per search, live updates that keep
the operator's place, bulk actions with their summary."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import htmx_settled, login
from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/queue")

TEXTS = [
    "Большая яма на дороге у остановки, машины бьют колёса, просим срочно заделать",
    "Не вывозят мусор с контейнерной площадки третью неделю, запах на весь двор",
    "Сугробы на проезжей части, машины застревают, автобус не может проехать к остановке",
    "В квартирах холодно, батареи еле тёплые, управляющая компания не отвечает",
]
CATEGORIES = ["pothole", "garbage", "snow", "heating"]
ADDRESSES = ["ул. Ленина, 5", "с. Никольское, ул. Садовая, 3", "ул. Кирова, 12", "пр. Победы, 40"]


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def fill_queue(world, n: int) -> list:
    return [
        new_appeal(
            world, text=TEXTS[i % 4], category_code=CATEGORIES[i % 4], address=ADDRESSES[i % 4], territory_code="city" if i % 2 else "district"
        )
        for i in range(n)
    ]


def small_screen(page) -> None:
    page.set_viewport_size({"width": 1366, "height": 768})


def test_it_shows_at_least_twelve_appeals_at_1366x768_with_due_and_urgency_visible(page, live_server, world):
    fill_queue(world, 24)
    small_screen(page)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")
    rows = page.locator("#queue-results tbody tr[data-number]")
    expect()(rows).to_have_count(24)
    boxes = [rows.nth(i).bounding_box() for i in range(24)]
    visible = [b for b in boxes if b and b["y"] + b["height"] <= 768]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-1366x768.png"))
    assert len(visible) >= 12, f"{len(visible)} rows visible at 1366×768 (row height {boxes[0]['height']:.0f} px)"
    for header in ("Срок", "Срочность"):
        box = page.locator("#queue-results thead th", has_text=header).first.bounding_box()
        assert box["x"] + box["width"] <= 1366, f"the «{header}» column is cut off"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366  # no horizontal scroll
    # Filter boxes are wide enough for their «Все …» option.
    for name in ("status", "block", "category", "territory", "organisation", "channel"):
        width = page.locator(f"#queue-filters select[name={name}]").bounding_box()["width"]
        assert width >= 110, f"the {name} filter is {width:.0f} px wide"


def test_enter_in_search_sends_one_request(page, live_server, world):
    pit = fill_queue(world, 3)[0]
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/workspace/?" in r.url and r.headers.get("hx-request") else None)
    with htmx_settled(page):
        page.fill("#id_q", "яма")
        page.press("#id_q", "Enter")
    expect()(page.locator("#queue-results tbody tr[data-number]")).to_have_count(1)
    expect()(page.locator(f"tr[data-number='{pit.number}']")).to_be_visible()
    # Let the pause in typing pass: nothing more may be sent for the same text.
    page.wait_for_timeout(700)
    assert len(sent) == 1, sent
    with htmx_settled(page):
        page.select_option("#id_status", "all")
    page.wait_for_timeout(700)
    assert len(sent) == 2, sent


def test_choosing_a_block_narrows_the_category_list(page, live_server, world):
    fill_queue(world, 4)  # a pothole, garbage, snow and heating
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")
    with htmx_settled(page):
        page.select_option("#id_block", "roads")
    values = page.eval_on_selector_all("#id_category option", "els => els.map(e => e.value)")
    assert set(values) == {"", "pothole", "snow"}
    with htmx_settled(page):
        page.select_option("#id_category", "snow")
    expect()(page.locator("#queue-results tbody tr[data-number]")).to_have_count(1)


def test_a_new_appeal_appears_without_reload_while_a_row_stays_checked(page, live_server, world, settings):
    settings.TSUR_QUEUE_POLL_SECONDS = 1
    first, second = fill_queue(world, 2)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")
    page.check(f"tr[data-number='{first.number}'] input.row-select")
    expect()(page.locator("#bulk-selected")).to_have_text("1")
    page.focus(f"tr[data-number='{second.number}'] a.appeal-link")
    page.evaluate("() => { window.__stayed = true; }")
    fresh = new_appeal(world, text="Упало дерево на провода во дворе", category_code="pothole")
    row = page.locator(f"tr[data-number='{fresh.number}']")
    expect()(row).to_be_visible()
    expect()(row.locator(".new-mark")).to_have_text("новое")
    assert page.evaluate("() => window.__stayed === true")  # the same page: no reload
    expect()(page.locator(f"tr[data-number='{first.number}'] input.row-select")).to_be_checked()
    expect()(page.locator(f"tr[data-number='{second.number}'] input.row-select")).not_to_be_checked()
    expect()(page.locator("#bulk-selected")).to_have_text("1")
    expect()(page.locator(f"tr[data-number='{second.number}'] a.appeal-link")).to_be_focused()


def test_it_routes_fifty_appeals_in_one_bulk_action_and_shows_the_summary(page, live_server, world, settings):
    settings.TSUR_QUEUE_POLL_SECONDS = 2
    appeals = fill_queue(world, 50)
    taken = appeals[7]
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")
    expect()(page.locator("#queue-results tbody tr[data-number]")).to_have_count(50)
    page.check("#select-all")
    expect()(page.locator("#bulk-selected")).to_have_text("50")
    # Meanwhile another operator rejects one of them.
    services.reject_appeal(taken, world.admin, reason_code="spam")
    page.click("[data-bulk=route]")
    expect()(page.locator("#bulk-panel-route")).to_be_visible()
    with htmx_settled(page):
        page.click("#bulk-panel-route button[name=op]")
    summary = page.locator("#bulk-summary")
    expect()(summary).to_contain_text("Направлено 49 из 50; не выполнено 1")
    expect()(summary).to_contain_text(f"{taken.number} — уже изменено другим пользователем (сейчас: «Отклонено»)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(SHOTS / "queue-bulk-summary-1366x768.png"))
    assert Appeal.objects.filter(status=Status.ROUTED).count() == 49
    # The list refreshes itself; the summary stays until the operator does something else.
    new_appeal(world, text="Упало дерево на провода во дворе")
    expect()(page.locator("[data-testid=found-count]")).to_have_text("50")
    expect()(summary).to_contain_text("Направлено 49 из 50; не выполнено 1")


def test_a_refresh_crossing_a_bulk_action_keeps_its_summary_and_never_brings_the_older_list(page, live_server, world, settings):
    # The race CI met: a refresh was sent in the few milliseconds between the bulk action's swap and
    # its settling, and the settling made the page forget that a refresh was under way; when the
    # refresh came, the summary went. Here the action's settling is made to last 3 s, where a
    # refresh (due each second) would surely start, and every refresh is held until the action has
    # settled, as is one already on its way when the action is sent: its older list must never
    # come back (the page now gives it up).
    settings.TSUR_QUEUE_POLL_SECONDS = 1
    fill_queue(world, 6)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")
    expect()(page.locator("#queue-results tbody tr[data-number]")).to_have_count(6)
    held: list = []

    def hold_refreshes(route) -> None:
        if route.request.headers.get("x-queue-poll"):
            held.append((route, route.fetch()))  # rendered now, answered when the test says
        else:
            route.continue_()

    page.route("**/workspace/**", hold_refreshes)
    for _ in range(100):  # one refresh on its way before the action; 10 s at most
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the page sent no refresh in 10 s"
    page.evaluate("() => document.getElementById('bulk-form').setAttribute('hx-swap', 'outerHTML settle:3s')")
    page.check("#select-all")
    page.click("[data-bulk=route]")
    with htmx_settled(page):
        page.click("#bulk-panel-route button[name=op]")
    summary = page.locator("#bulk-summary")
    expect()(summary).to_contain_text("Направлено 6 из 6")
    # Whether a refresh was sent while the action settled or the page waited for the settling
    # (it does now: the form is still marked busy then), the next refresh settles a list with the
    # summary still there.
    page.unroute("**/workspace/**")
    with htmx_settled(page):
        for route, response in held:
            try:
                route.fulfill(response=response)
            except Exception:  # the page gave that request up, as it should when it was older
                pass
    expect()(summary).to_contain_text("Направлено 6 из 6")
    routed = page.locator("#queue-results tbody tr[data-number]", has_text="Направлено в организацию")
    expect()(routed).to_have_count(6)
    assert Appeal.objects.filter(status=Status.ROUTED).count() == 6


MSK = ZoneInfo("Europe/Moscow")


def incident_due(world, monkeypatch, now: dt.datetime, due: dt.datetime):
    """An incident (working hours) appeal due at `due`, with the server's clock standing at `now`."""
    appeal = new_appeal(world, channel="vk", external_id=f"vk-{due:%H%M}", text="Упало дерево на провода во дворе")
    Appeal.objects.filter(pk=appeal.pk).update(regime="incident", status=Status.ROUTED, due_at=due, organisation=world.roads_ministry)
    monkeypatch.setattr("tsur.core.clock.now", lambda: now)
    return appeal


def test_the_card_countdown_ticks_each_minute_while_the_working_clock_runs(page, live_server, world, monkeypatch):
    now = dt.datetime(2026, 12, 1, 10, 0, tzinfo=MSK)  # a Tuesday morning
    appeal = incident_due(world, monkeypatch, now, dt.datetime(2026, 12, 1, 13, 20, tzinfo=MSK))
    page.clock.install(time=now)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/appeals/{appeal.number}/")
    badge = page.locator(".card-head [data-countdown]")
    expect()(badge).to_have_text("осталось 3 ч 20 мин рабочего времени")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(SHOTS / "card-countdown-1366x768.png"))
    page.clock.run_for(61_000)
    expect()(badge).to_have_text("осталось 3 ч 19 мин рабочего времени")
    page.clock.run_for(120_000)
    expect()(badge).to_have_text("осталось 3 ч 17 мин рабочего времени")


def test_the_countdown_stands_outside_working_hours(page, live_server, world, monkeypatch):
    now = dt.datetime(2026, 12, 1, 19, 30, tzinfo=MSK)  # Tuesday evening: the working day is over
    appeal = incident_due(world, monkeypatch, now, dt.datetime(2026, 12, 2, 11, 0, tzinfo=MSK))
    page.clock.install(time=now)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/appeals/{appeal.number}/")
    badge = page.locator(".card-head [data-countdown]")
    expect()(badge).to_have_text("осталось 2 ч рабочего времени")
    expect()(badge).to_have_attribute("data-running", "0")
    page.clock.run_for(300_000)
    expect()(badge).to_have_text("осталось 2 ч рабочего времени")


def test_a_coordinator_saves_a_shared_view_and_sees_only_their_scope(page, live_server, world):
    for a in fill_queue(world, 8):
        services.route_appeal(a, world.operator)
    login(page, live_server, "coordinator")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/workspace/")
    organisations = page.eval_on_selector_all("#id_organisation option", "els => els.map(e => e.textContent)")
    assert organisations == ["Все организации", "Миндор"]
    with htmx_settled(page):
        page.select_option("#id_block", "roads")
    page.click("details.save-view summary")
    page.fill("#view-name", "Дороги")
    page.check("details.save-view input[name=share]")
    page.click("details.save-view button[type=submit]")
    view = page.locator("#saved-views .saved-view", has_text="Дороги")
    expect()(view.locator("[data-testid=view-count]")).to_have_text("4")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "queue-coordinator-1366x768.png"))
