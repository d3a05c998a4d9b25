"""A resident with an account in real Chromium: logs in, lands in the cabinet, opens the appeal the
organisation asked about and answers the question; the lost-link page answers neutrally."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import htmx_settled, login
from tests.factories import new_appeal
from tests.intake.helpers import png_bytes
from tsur.answers import services as answers
from tsur.answers.files import read_answer_file
from tsur.appeals import services
from tsur.appeals.models import Event

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/residents")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
QUESTION = "Уточните, пожалуйста, номер дома, напротив которого яма."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("390", PHONE), ("1366", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)


def answered_with_files(world):
    a = new_appeal(world, user=world.resident, text="Не вывозят мусор во дворе дома 5 уже неделю", category_code="garbage")
    services.route_appeal(a, world.operator)
    services.assign_executor(a, world.waste_coordinator, executor_id=world.waste_coordinator.pk)
    files = [read_answer_file(png_bytes("green", (320, 240)), label="Файл 1"), read_answer_file(PDF, label="Файл 2")]
    answers.prepare_answer(a, world.waste_coordinator, text="Мусор вывезен 05.12.2026, контейнерная площадка убрана.", files=files)
    answers.approve_answer(a, world.operator, note="Вывоз подтверждён фотографией.")
    answers.publish_answer(a, world.operator)
    return a


def test_it_lets_a_resident_answer_a_clarification_from_the_cabinet(live_server, transactional_db, world, page):
    asked = new_appeal(world, user=world.resident)
    services.route_appeal(asked, world.operator)
    services.request_clarification(asked, world.operator, question=QUESTION)
    new_appeal(world, user=world.other_resident, text="Чужое обращение про снег во дворе", category_code="snow")

    page.goto(f"{live_server.url}/status/")
    page.click("text=Войдите в личный кабинет")
    assert "Личный кабинет жителя" in page.inner_text(".login-brand")
    shot(page, "login")
    page.fill("input[name=username]", "resident")
    page.fill("input[name=password]", "pass-12345")
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=cabinet-item]")
    assert page.url == f"{live_server.url}/cabinet/"
    assert "Мои обращения" in page.inner_text("h1")
    assert page.locator("[data-testid=cabinet-item]").count() == 1  # only their own
    assert "Нужно уточнение" in page.inner_text("[data-testid=cabinet-item]")
    shot(page, "cabinet")

    page.set_viewport_size(PHONE)
    page.click(f"text=№ {asked.number}")
    page.wait_for_selector("[data-testid=clarification]")
    assert QUESTION in page.inner_text("[data-testid=clarification]")
    shot(page, "status-question")

    page.set_viewport_size(PHONE)
    page.fill("#reply-text", "Дом 12 по улице Ленина, напротив аптеки")
    page.click("text=Отправить ответ")
    page.wait_for_selector("#clarification.alert--ok")
    assert "Спасибо, ответ получен" in page.inner_text("#clarification")
    assert page.locator("[data-testid=clarification]").count() == 0
    reply = Event.objects.get(appeal=asked, kind="resident_message")
    assert reply.data["clarification"] == Event.objects.get(appeal=asked, kind="request_clarification").pk
    page.click("text=← Мои обращения")
    assert page.url == f"{live_server.url}/cabinet/"
    assert "Нужно уточнение" not in page.inner_text("[data-testid=cabinet-item]")


def test_it_shows_the_answer_files_and_answers_the_lost_link_neutrally(live_server, transactional_db, world, page):
    done = answered_with_files(world)
    page.goto(f"{live_server.url}/status/{done.number}/{done.access_key}/")
    files = page.locator("[data-testid=answer-files] li")
    assert files.count() == 2
    shot(page, "status-answer-files")

    page.goto(f"{live_server.url}/status/")
    shot(page, "lookup")
    page.click("[data-testid=recover-link]")
    page.fill("#recover-contact", "ivan@example.org")
    shot(page, "recover-form")
    page.click("text=Отправить ссылку")
    page.wait_for_selector("[data-testid=recover-reply]")
    assert done.access_key not in page.content()
    shot(page, "recover-sent")


def test_it_lets_the_executor_ask_from_the_card_and_shows_the_open_question(live_server, transactional_db, world, page):
    from playwright.sync_api import expect

    a = new_appeal(world, user=world.resident)
    services.route_appeal(a, world.operator)
    services.assign_executor(a, world.coordinator, executor_id=world.executor.pk)
    login(page, live_server, "executor")
    page.goto(f"{live_server.url}/workspace/appeals/{a.number}/")
    page.click("details[data-action=request_clarification] > summary")
    page.fill("#id_request_clarification-question", QUESTION)
    with htmx_settled(page):
        page.click("details[data-action=request_clarification] button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("Вопрос отправлен жителю")
    expect(page.locator("[data-testid=clarification-open]")).to_be_visible()
    expect(page.locator("[data-testid=timeline]")).to_contain_text("ответа жителя пока нет")
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(SHOTS / "card-question-1366.png"), full_page=False)
    services.add_resident_message(a.pk, text="Дом 12 по улице Ленина, напротив аптеки", photos=[], source="status_page")
    page.reload()
    expect(page.locator("[data-testid=clarification-open]")).to_have_count(0)
    expect(page.locator("[data-testid=timeline]")).to_contain_text("«Дом 12 по улице Ленина, напротив аптеки»")
    page.locator("[data-testid=timeline]").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "card-reply-1366.png"), full_page=False)
