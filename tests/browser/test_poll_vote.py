"""A resident votes in a published poll in real Chromium: asks for a code by phone, reads it from
the file sender's outbox, enters a wrong code (refused in Russian, answers kept), the right one,
sees the thank-you page with results; a second vote with the same phone is refused in Russian.
The same on a phone-sized screen through the embedded widget. Screenshots at 1366×768 and 390×844
go to TSUR_SCREENS (default /tmp/screens)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.utils import timezone

from tsur.polls import services
from tsur.polls.models import Ballot, QuestionKind
from tsur.polls.senders import read_outbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(os.environ.get("TSUR_SCREENS", "/tmp/screens"))


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


@pytest.fixture
def poll(world, settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # the outbox the file sender writes
    settings.TSUR_POLL_CODE_SENDER = "tsur.polls.senders.OutboxSender"
    now = timezone.now()
    p = services.create_poll(
        world.operator,
        title="Благоустройство дворов 2027: что сделать первым?",
        description="Город готовит программу благоустройства. Что в вашем дворе сделать в первую очередь?",
        territories=[world.district],
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(days=20),
    )
    services.save_question(
        p, world.operator, kind=QuestionKind.SINGLE, text="Что сделать первым?", options=["Детская площадка", "Освещение двора", "Парковка"]
    )
    services.save_question(
        p, world.operator, kind=QuestionKind.MULTIPLE, text="Что ещё нужно двору?", options=["Скамейки", "Урны", "Деревья"], required=False
    )
    services.save_question(
        p, world.operator, kind=QuestionKind.SCALE, text="Как вы оцениваете двор сейчас?", scale_min_label="очень плохо", scale_max_label="отлично"
    )
    services.save_question(p, world.operator, kind=QuestionKind.TEXT, text="Ваше предложение", required=False)
    services.publish_poll(p, world.operator)
    return p


def shot(page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=False)


def ask_code(page, contact: str) -> None:
    page.get_by_label("Телефон или электронная почта").fill(contact)
    page.get_by_role("button", name="Получить код").click()


def answer(page, world) -> None:
    page.get_by_label("Освещение двора").check()
    page.get_by_label("Скамейки").check()
    page.get_by_label("Урны").check()
    page.locator(".scale__point", has_text="4").click()
    page.get_by_label("Ваше предложение").fill("Фонари у каждого подъезда")
    page.get_by_label("Где вы живёте").select_option(str(world.village.pk))


def test_a_resident_votes_once_with_a_phone_code(page, live_server, poll, world):
    x = expect()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/polls/{poll.token}/")
    x(page.get_by_role("heading", name="Благоустройство дворов 2027: что сделать первым?")).to_be_visible()
    shot(page, "poll-start-1366")
    ask_code(page, "+7 900 555-12-34")
    x(page.get_by_role("status")).to_contain_text("Код отправлен на +7 900 ***-**-34")
    [sent] = read_outbox()
    assert sent["to"] == "+79005551234"
    answer(page, world)
    wrong = "000000" if sent["code"] != "000000" else "111111"
    page.get_by_label("Код из сообщения").fill(wrong)
    page.get_by_role("button", name="Проголосовать").click()
    x(page.locator("[data-poll-error]")).to_contain_text("Код неверный. Осталось 4 попытки.")
    x(page.get_by_label("Освещение двора")).to_be_checked()  # the answers are kept
    x(page.get_by_label("Ваше предложение")).to_have_value("Фонари у каждого подъезда")
    page.get_by_label("Код из сообщения").fill(sent["code"])
    shot(page, "poll-code-1366")
    page.get_by_role("button", name="Проголосовать").click()
    x(page.get_by_role("heading", name="Спасибо, ваш голос учтён")).to_be_visible()
    x(page.get_by_text("Проголосовали: 1.")).to_be_visible()
    shot(page, "poll-thanks-1366")
    assert Ballot.objects.get().territory_id == world.village.pk

    # The same phone, written another way, a minute later: refused before any code is sent.
    page.goto(f"{live_server.url}/polls/{poll.token}/")
    ask_code(page, "8 (900) 555 12 34")
    x(page.locator("[data-poll-error]")).to_contain_text("Вы уже проголосовали в этом опросе.")
    shot(page, "poll-already-voted-1366")
    assert len(read_outbox()) == 1 and Ballot.objects.count() == 1


def test_a_resident_votes_in_the_embedded_widget_on_a_phone(browser, live_server, poll, world):
    x = expect()
    context = browser.new_context(locale="ru-RU", timezone_id="Europe/Moscow", viewport={"width": 390, "height": 844}, is_mobile=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{live_server.url}/polls/?territory=village")
        x(page.get_by_role("link", name="Благоустройство дворов 2027: что сделать первым?")).to_be_visible()
        shot(page, "poll-list-390")
        page.goto(f"{live_server.url}/widget/polls/{poll.token}/")
        x(page.locator("body.is-embed")).to_be_attached()
        ask_code(page, "resident@example.org")
        code = read_outbox()[-1]["code"]
        answer(page, world)
        page.get_by_label("Код из сообщения").fill(code)
        shot(page, "poll-code-390")
        page.get_by_role("button", name="Проголосовать").click()
        x(page.get_by_role("heading", name="Спасибо, ваш голос учтён")).to_be_visible()
        assert page.url.endswith(f"/widget/polls/{poll.token}/thanks/")
        shot(page, "poll-thanks-390")
        assert errors == []
    finally:
        context.close()
