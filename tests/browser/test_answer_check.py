"""In real Chromium: the executor sees the formal-reply check's findings as they type, and the
operator cannot approve the flagged answer without a reason (a clean one stays one click)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.answers.helpers import CLEAN, in_progress, pdf_bytes, prepared
from tests.browser.conftest import htmx_settled, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots/answers")


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def open_card(page, live_server, number: str) -> None:
    page.goto(f"{live_server.url}/workspace/appeals/{number}/")
    expect()(page.locator("h1")).to_contain_text(number)


def test_it_warns_the_executor_and_stops_a_one_click_approval(page, live_server, world, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    a = in_progress(world, address="ул. Тестовая, 7")

    # The executor types a formal reply: the findings appear under the text, before sending.
    login(page, live_server, "executor")
    open_card(page, live_server, a.number)
    text = page.locator("#id_prepare_answer-text")
    text.click()
    text.press_sequentially("Информация принята к сведению.", delay=15)
    live = page.locator("#answer-check-prepare_answer [data-testid=live-findings]")
    expect()(live).to_contain_text("«принято к сведению» без действий")
    expect()(text).to_be_focused()  # the check never takes the cursor away
    act = tmp_path / "акт.pdf"
    act.write_bytes(pdf_bytes())
    page.set_input_files("#id_prepare_answer-files", str(act))
    # The browser's own button («Choose Files» in an English browser) is hidden; ours is Russian.
    picker = page.locator("details[data-action=prepare_answer] .file-pick")
    expect()(picker.locator(".file-button")).to_have_text("Выбрать файлы")
    expect()(picker.locator("[data-file-names]")).to_have_text("акт.pdf")
    page.locator("details[data-action=prepare_answer]").screenshot(path=str(SHOTS / "executor-live-check.png"))
    page.set_viewport_size({"width": 1366, "height": 768})
    page.screenshot(path=str(SHOTS / "executor-live-check-page.png"))
    with htmx_settled(page):
        page.click("details[data-action=prepare_answer] button[type=submit]")
    expect()(page.locator("[data-testid=status]")).to_have_text("Ответ подготовлен")
    expect()(page.locator("[data-testid=answer-files]")).to_contain_text("Документ PDF 1")
    page.click("form.logout-form button[type=submit]")

    # The operator: the findings sit above the decision, «Вернуть на доработку» is the open choice.
    login(page, live_server, "operator")
    open_card(page, live_server, a.number)
    expect()(page.locator("[data-testid=decision-findings]")).to_contain_text("принято к сведению")
    expect()(page.locator("details[data-action=return_answer]")).to_have_attribute("open", "")
    approve = page.locator("details[data-action=approve_answer]")
    expect()(approve).not_to_have_attribute("open", "")
    page.screenshot(path=str(SHOTS / "card-flagged.png"), full_page=True)
    page.screenshot(path=str(SHOTS / "card-flagged-1366x768.png"))

    # Approving without a reason is not possible; with one it is, and the reason is on the record.
    approve.locator("summary").click()
    expect()(approve.locator("label")).to_contain_text("несмотря на признаки отписки")
    approve.locator("button[type=submit]").click()
    assert approve.locator("textarea").evaluate("el => el.validity.valueMissing")
    expect()(page.locator("[data-testid=status]")).to_have_text("Ответ подготовлен")
    approve.locator("textarea").fill("Житель просил только зарегистрировать сообщение")
    approve.locator("button[type=submit]").click()
    expect()(page.locator("[data-testid=status]")).to_have_text("Ответ проверен ЦУР")
    expect()(page.locator("[data-testid=answers]")).to_contain_text("Житель просил только зарегистрировать сообщение")
    page.click("details[data-action=publish_answer] button[type=submit]")
    expect()(page.locator("[data-testid=status]")).to_have_text("Ответ опубликован")
    assert errors == [], errors

    # The resident, on a phone, finds the act under the answer on the status page.
    a.refresh_from_db()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/status/{a.number}/{a.access_key}/")
    files = page.locator("[data-testid=answer-files]")
    expect()(files).to_contain_text("Документ PDF 1")
    href = files.locator("a").first.get_attribute("href")
    assert href.startswith(f"/status/{a.number}/{a.access_key}/answer-files/")
    assert page.request.get(f"{live_server.url}{href}").headers["content-type"] == "application/pdf"
    page.screenshot(path=str(SHOTS / "resident-status-files-390.png"), full_page=True)


def test_it_keeps_approve_one_click_for_a_clean_answer(page, live_server, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    a = prepared(world, text=CLEAN)
    login(page, live_server, "operator")
    open_card(page, live_server, a.number)
    expect()(page.locator("details[data-action=approve_answer]")).to_have_attribute("open", "")
    expect()(page.locator("[data-testid=decision-findings]")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "card-clean.png"), full_page=True)
    page.click("details[data-action=approve_answer] button[type=submit]")
    expect()(page.locator("[data-testid=status]")).to_have_text("Ответ проверен ЦУР")
