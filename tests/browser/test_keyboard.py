"""The keyboard targets of issue 13, driven in real Chromium with the keyboard alone: an appeal that
triage classified is routed in ≤ 3 keystrokes after its card loads, and 50 appeals are routed in
one bulk action. Also the help overlay, the skip link, the Russian layout and the pickers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import htmx_settled, login
from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal, Event, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/keys")


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def in_moderation(world, **kwargs) -> Appeal:
    """A classified appeal the intake follow-up has passed to moderation (done here, not by the worker)."""
    a = new_appeal(world, **kwargs)
    a.refresh_from_db()
    if a.status == Status.RECEIVED:
        a = services.take_to_moderation(a)
    return a


def test_it_routes_a_classified_appeal_in_two_keystrokes(page, live_server, world):
    a = in_moderation(world, text="Яма на проезжей части у дома 5, колёса бьются", territory_code="city", address="ул. Кирова, 5")
    a.refresh_from_db()
    assert a.status == Status.MODERATION and a.category_id  # triage's classification is in place
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/appeals/{a.number}/")
    route = page.locator('#card [data-action="route"]')
    expect()(route.locator(".ts-wrapper")).to_be_visible()  # the page's scripts are up
    expect()(route.locator("select[name='route-organisation'] option:checked")).to_have_text("По правилам: Горадмин")

    keystrokes = ["r", "Enter"]
    page.keyboard.press(keystrokes[0])
    expect()(route.locator("button[type=submit]")).to_be_focused()
    with htmx_settled(page):
        page.keyboard.press(keystrokes[1])
    assert len(keystrokes) <= 3

    expect()(page.locator("[data-testid=status]")).to_have_text("Направлено в организацию")
    expect()(page.locator("[data-testid=organisation]")).to_contain_text(world.city_admin.name)
    event = Event.objects.get(appeal=a, kind="route")
    assert event.data["manual"] is False and event.data["rule"] == world.city_roads_rule.pk

    page.keyboard.press("u")  # back to the queue
    page.wait_for_url(f"{live_server.url}/workspace/")
    expect()(page.locator(f'#queue-results tr[data-number="{a.number}"] .badge').first).to_have_text("Направлено в организацию")


def test_it_routes_fifty_appeals_in_one_bulk_action_from_the_keyboard(page, live_server, world):
    for i in range(52):
        in_moderation(world, text=f"Яма на дороге номер {i}, нужен ремонт", address=f"ул. Лесная, {i + 1}")
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/?status=moderation")
    expect()(page.locator("#queue-results tbody tr[data-number]")).to_have_count(50)

    page.keyboard.press("Shift+A")
    expect()(page.locator("#bulk-selected")).to_have_text("50")
    page.keyboard.press("b")
    expect()(page.locator('#bulk-bar [data-bulk="route"]')).to_be_focused()
    page.keyboard.press("Enter")
    panel = page.locator("#bulk-panel-route")
    expect()(panel).to_be_visible()
    by_rules = panel.locator("select").first
    expect()(by_rules).to_be_focused()
    expect()(by_rules.locator("option:checked")).to_have_text("По правилам маршрутизации")
    submit = panel.locator("button[type=submit]")
    for _ in range(4):  # past the comment field to «Направить»
        if submit.evaluate("b => b === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect()(submit).to_be_focused()
    page.keyboard.press("Enter")

    # Fifty appeals, each through the one door: allow a busy test machine its time.
    expect()(page.locator("#bulk-summary")).to_be_visible(timeout=120_000)
    expect()(page.locator("#bulk-summary")).to_contain_text("50")
    assert Appeal.objects.filter(status=Status.ROUTED).count() == 50
    assert Appeal.objects.filter(status=Status.MODERATION).count() == 2


def test_it_walks_the_queue_and_opens_an_appeal_with_keys(page, live_server, world):
    first = new_appeal(world, text="Первое: яма у школы")
    second = new_appeal(world, text="Второе: яма у больницы")
    Appeal.objects.filter(pk=first.pk).update(due_at="2027-01-10T10:00:00+03:00")
    Appeal.objects.filter(pk=second.pk).update(due_at="2027-01-11T10:00:00+03:00")
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")

    # Focus order: the first Tab reaches «К списку обращений», Enter lands on the first appeal.
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect()(skip).to_be_focused()
    expect()(skip).to_have_text("К списку обращений")
    page.keyboard.press("Enter")
    first_link = page.locator(f'tr[data-number="{first.number}"] a.appeal-link')
    expect()(first_link).to_be_focused()

    page.keyboard.press("j")
    expect()(page.locator(f'tr[data-number="{second.number}"]')).to_have_class("kb-current")
    page.keyboard.press("x")
    expect()(page.locator(f'tr[data-number="{second.number}"] input.row-select')).to_be_checked()
    shoot(page, "queue-current-row-1366.png")
    # The Russian layout: the same physical key («о» there) moves back.
    page.dispatch_event("body", "keydown", {"code": "KeyK", "key": "л"})
    expect()(first_link).to_be_focused()
    page.keyboard.press("/")
    expect()(page.locator("#id_q")).to_be_focused()
    page.keyboard.type("jk")  # typing in a field is text, not shortcuts
    expect()(page.locator("#id_q")).to_have_value("jk")
    page.keyboard.press("Escape")
    page.locator("#id_q").evaluate("el => el.blur()")
    page.goto(f"{live_server.url}/workspace/")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/workspace/appeals/{first.number}/")
    page.keyboard.press("n")  # «Следующее обращение» in the queue's order
    page.wait_for_url(f"**/workspace/appeals/{second.number}/")
    page.keyboard.press("Shift+N")
    page.wait_for_url(f"**/workspace/appeals/{first.number}/")


def test_it_shows_the_help_overlay_in_russian(page, live_server, world):
    new_appeal(world)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/")
    overlay = page.locator("[data-testid=keys-help]")
    expect()(overlay).to_be_hidden()
    page.keyboard.press("Shift+Slash")  # «?»
    expect()(overlay).to_be_visible()
    expect()(overlay).to_contain_text("Работа с клавиатуры")
    expect()(overlay).to_contain_text("следующее / предыдущее обращение в очереди")
    shoot(page, "help-overlay-1366.png")
    page.keyboard.press("Escape")
    expect()(overlay).to_be_hidden()
    page.get_by_role("link", name="Клавиши").click()
    expect()(overlay).to_be_visible()


def test_it_searches_organisations_in_the_route_picker(page, live_server, world):
    a = new_appeal(world)
    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/appeals/{a.number}/")
    route = page.locator('#card [data-action="route"]')
    control = route.locator(".ts-control")
    control.click()
    page.keyboard.type("Регопер")
    dropdown = route.locator(".ts-dropdown")
    expect()(dropdown).to_contain_text("Регоператор")
    expect()(dropdown).not_to_contain_text("Горадмин")
    shoot(page, "card-route-picker-1366.png")
    page.keyboard.press("Enter")
    expect()(route.locator("select[name='route-organisation']")).to_have_value("waste-op")
    control.click()
    page.keyboard.type("нет такой")
    expect()(dropdown).to_contain_text("Ничего не найдено")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")


def test_it_lets_a_coordinator_take_an_appeal_with_t(page, live_server, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    login(page, live_server, "coordinator")
    page.goto(f"{live_server.url}/workspace/appeals/{a.number}/")
    assign = page.locator('#card [data-action="assign"]')
    expect()(assign.locator(".ts-wrapper")).to_be_visible()
    page.keyboard.press("a")  # the executor picker, ready for typing
    expect()(assign.locator(".ts-control input")).to_be_focused()
    page.keyboard.type("Execu")  # typing searches the organisation's people
    expect()(assign.locator(".ts-dropdown")).to_contain_text("Executor")
    expect()(assign.locator(".ts-dropdown")).not_to_contain_text("Colleague")
    page.keyboard.press("Escape")  # the picker's list
    page.keyboard.press("Escape")  # the form
    expect()(assign).not_to_have_attribute("open", "")
    shoot(page, "card-coordinator-take-1366.png")
    page.keyboard.press("t")
    take = page.locator("#card [data-key-take]")
    expect()(take).to_be_focused()
    with htmx_settled(page):
        page.keyboard.press("Enter")
    expect()(page.locator("[data-testid=executor]")).to_contain_text("Coordinator")
    a.refresh_from_db()
    assert a.executor == world.coordinator


def test_it_puts_the_cursor_in_the_answer_with_e(page, live_server, world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    login(page, live_server, "executor")
    page.goto(f"{live_server.url}/workspace/appeals/{a.number}/")
    expect()(page.locator('#card [data-action="prepare_answer"]')).to_be_visible()
    page.keyboard.press("e")
    expect()(page.locator("#id_prepare_answer-text")).to_be_focused()
    page.keyboard.type("nju")  # letters typed into the answer stay text
    expect()(page.locator("#id_prepare_answer-text")).to_have_value("nju")
    expect()(page).to_have_url(f"{live_server.url}/workspace/appeals/{a.number}/")
