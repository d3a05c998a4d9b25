"""A note mentioning a colleague, in real Chromium: the operator writes it on the card (HTMX), the
coordinator sees the signal in «Сигналы», opens the card from it, and the signal is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import htmx_settled, login
from tests.factories import new_appeal
from tsur.appeals import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/signals")


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def logout(page) -> None:
    page.click("form.logout-form button[type=submit]")
    page.wait_for_url("**/accounts/login/**")


def test_it_brings_a_mentioned_colleague_from_the_signal_to_the_card(page, live_server, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1366, "height": 768})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    appeal = new_appeal(world, address="ул. Ленина, 5")
    services.route_appeal(appeal, world.operator)
    other = new_appeal(world, text="Провал асфальта на въезде в село, объезжаем по обочине")
    services.route_appeal(other, world.operator)

    login(page, live_server, "operator")
    page.goto(f"{live_server.url}/workspace/appeals/{appeal.number}/")
    notes = page.locator("[data-testid=notes]")
    notes.scroll_into_view_if_needed()
    notes.locator("textarea[name=text]").fill("Коллеги, проверьте, пожалуйста, адрес — жители пишут, что яма у дома 7. @coordinator")
    with htmx_settled(page):
        notes.locator("button[type=submit]").click()
    expect()(page.locator("[data-testid=note]")).to_have_count(1)
    expect()(page.locator("[data-testid=note]")).to_contain_text("Упомянуты: Coordinator")
    page.locator("[data-testid=notes]").screenshot(path=str(SHOTS / "card-notes-1366.png"))
    # A mention of someone who cannot see the appeal is refused, in Russian, without losing the text.
    notes = page.locator("[data-testid=notes]")
    notes.locator("textarea[name=text]").fill("@waste_coordinator это к вам?")
    with htmx_settled(page):
        notes.locator("button[type=submit]").click()
    expect()(page.locator("[data-testid=note-error]")).to_be_visible()
    expect()(page.locator("[data-testid=notes] .field-error")).to_contain_text("нет доступа к этому обращению")
    expect()(page.locator("[data-testid=notes] textarea[name=text]")).to_have_value("@waste_coordinator это к вам?")
    expect()(page.locator("[data-testid=note]")).to_have_count(1)
    page.locator("[data-testid=notes]").screenshot(path=str(SHOTS / "card-notes-refused-1366.png"))
    logout(page)

    login(page, live_server, "coordinator")
    expect()(page.locator("nav .nav-badge, .nav-badge").first).to_have_text("3")  # two routings + the mention
    page.goto(f"{live_server.url}/workspace/alerts/?mine=1")
    rows = page.locator("[data-testid=signal-row]")
    expect()(rows).to_have_count(1)
    expect()(rows.first).to_contain_text("Упоминание в заметке")
    expect()(rows.first).to_contain_text("лично вам")
    page.goto(f"{live_server.url}/workspace/alerts/")
    page.screenshot(path=str(SHOTS / "alerts-1366.png"), full_page=True)
    page.goto(f"{live_server.url}/workspace/alerts/?mine=1")
    page.locator("[data-testid=signal-link]").first.click()
    expect()(page.locator("h1")).to_contain_text(appeal.number)
    expect()(page.locator("[data-testid=note]")).to_contain_text("проверьте, пожалуйста, адрес")
    page.screenshot(path=str(SHOTS / "card-coordinator-1366.png"), full_page=True)
    # Opening the card read its signals (the mention and the routing); the other appeal's remains.
    expect()(page.locator(".nav-badge").first).to_have_text("1")
    page.goto(f"{live_server.url}/workspace/alerts/")
    expect()(page.locator("[data-testid=signal-row]")).to_have_count(1)
    expect()(page.locator("[data-testid=signal-row]")).to_contain_text(other.number)
    page.goto(f"{live_server.url}/workspace/alerts/settings/")
    page.screenshot(path=str(SHOTS / "signal-settings-1366.png"), full_page=True)
    # The refused mention answers 422 on purpose (its fragment is swapped in); nothing else failed.
    assert [e for e in errors if "status of 422" not in e] == [], errors
