"""A clarification request: asked from the card, keeps the status and the clock, reaches the
resident, is answered on the status page or by any later message, and shows on the card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import in_work_appeal, new_appeal
from tests.workspace.helpers import Desk
from tsur.appeals import services
from tsur.appeals.models import Appeal, Event, Notification, Status
from tsur.appeals.services.clarification import LINK_SEPARATOR, public_text
from tsur.channels.deliveries import DELIVERED_KINDS, delivery_text
from tsur.core import clock
from tsur.core.errors import AccessDenied, TransitionNotAllowed, ValidationFailed

QUESTION = "Уточните, пожалуйста, номер дома, напротив которого яма."


def status_url(a: Appeal) -> str:
    return f"/status/{a.number}/{a.access_key}/"


@pytest.fixture
def in_work(world) -> Appeal:
    return in_work_appeal(world)


def test_it_keeps_the_status_and_the_due_date_and_writes_one_event(world, in_work):
    before_status, before_due, before_version = in_work.status, in_work.due_at, in_work.version
    event = services.request_clarification(in_work, world.executor, question=QUESTION)
    in_work.refresh_from_db()
    assert in_work.status == before_status == Status.IN_PROGRESS
    assert in_work.due_at == before_due  # the law pauses nothing for a question
    assert in_work.version == before_version + 1
    assert event.kind == "request_clarification" and event.reason == QUESTION and event.actor == world.executor
    assert services.open_question(in_work) == event


def test_it_notifies_the_resident_with_the_question_and_the_private_link(world, in_work):
    services.request_clarification(in_work, world.operator, question=QUESTION)
    note = Notification.objects.get(appeal=in_work, kind="clarification")
    assert QUESTION in note.body and status_url(in_work) in note.body
    assert note.state == Notification.State.SENT  # the resident gave an e-mail


def test_it_publishes_the_question_in_a_channel_without_the_private_link(world, in_work):
    services.request_clarification(in_work, world.operator, question=QUESTION)
    note = Notification.objects.get(appeal=in_work, kind="clarification")
    assert "clarification" in DELIVERED_KINDS
    text = delivery_text(note)
    assert QUESTION in text and in_work.access_key not in text and "/status/" not in text
    assert public_text(f"вопрос{LINK_SEPARATOR}ссылка") == "вопрос\n\nОтветьте, пожалуйста, в этой переписке."


def test_it_requires_a_question(world, in_work):
    with pytest.raises(ValidationFailed) as exc:
        services.request_clarification(in_work, world.operator, question="   ")
    assert "question" in exc.value.field_errors
    assert not Event.objects.filter(appeal=in_work, kind="request_clarification").exists()


def test_it_is_refused_to_analysts_other_organisations_and_closed_appeals(world, in_work):
    for outsider in (world.analyst, world.waste_coordinator, world.resident):
        with pytest.raises(AccessDenied):
            services.request_clarification(in_work, outsider, question=QUESTION)
    fresh = new_appeal(world, text="Не вывозят мусор во дворе уже неделю", category_code="garbage")
    services.reject_appeal(fresh, world.operator, reason_code="spam", note="")
    with pytest.raises(TransitionNotAllowed):
        services.request_clarification(fresh, world.operator, question=QUESTION)


def test_a_later_message_of_the_resident_answers_the_open_question(world, in_work):
    question = services.request_clarification(in_work, world.executor, question=QUESTION)
    # The way a reply in the channel's thread arrives (tsur.channels.services._continue_threads).
    reply = services.add_resident_message(in_work.pk, text="Дом 12, напротив аптеки", photos=[], source="email", external_id="m-1")
    assert reply.data["clarification"] == question.pk
    assert services.open_question(in_work) is None
    [c] = services.clarifications(in_work)
    assert c.question == question and c.reply == reply and not c.is_open
    # A message without an open question answers nothing.
    later = services.add_resident_message(in_work.pk, text="И ещё там нет знака", photos=[], source="email", external_id="m-2")
    assert "clarification" not in later.data


def test_the_card_shows_the_open_question_badge_and_then_the_reply_in_the_timeline(world, in_work, client):
    desk = Desk(client).as_(world.operator)
    response = desk.act(in_work, "request_clarification", {"question": QUESTION})
    assert response.status_code == 302
    html = desk.card(in_work).content.decode()
    assert 'data-testid="clarification-open"' in html
    assert "Запрошено уточнение у жителя" in html and QUESTION in html and "ответа жителя пока нет" in html
    services.add_resident_message(in_work.pk, text="Дом 12, напротив аптеки", photos=[], source="status_page")
    html = desk.card(in_work).content.decode()
    assert 'data-testid="clarification-open"' not in html
    assert "ответ жителя" in html and "«Дом 12, напротив аптеки»" in html and "ответ на запрос уточнения" in html


def test_the_card_refuses_an_empty_question_and_offers_the_action_to_the_executor(world, in_work, client):
    desk = Desk(client).as_(world.executor)
    assert "Запросить уточнение" in desk.card(in_work).content.decode()
    response = desk.act(in_work, "request_clarification", {"question": ""})
    assert response.status_code in (400, 422) and "Напишите вопрос жителю" in response.content.decode()
    assert not Event.objects.filter(appeal=in_work, kind="request_clarification").exists()
    assert "Запросить уточнение" not in Desk(client).as_(world.analyst).card(in_work).content.decode()


def test_the_status_page_shows_the_question_and_takes_the_reply(world, in_work, client):
    services.request_clarification(in_work, world.executor, question=QUESTION)
    page = client.get(status_url(in_work)).content.decode()
    assert 'data-testid="clarification"' in page and QUESTION in page
    assert "Запрошено уточнение: «" in page  # the public history, as the app's API reads it too
    assert "Executor" not in page
    response = client.post(status_url(in_work) + "reply/", {"text": "Дом 12, напротив аптеки"})
    assert response.status_code == 302 and response["Location"] == status_url(in_work) + "?replied=1#clarification"
    reply = Event.objects.get(appeal=in_work, kind="resident_message")
    assert reply.data["clarification"] and reply.data["channel"] == "status_page"
    after = client.get(response["Location"]).content.decode()
    assert "Спасибо, ответ получен" in after and 'data-testid="clarification"' not in after
    assert "Получено ваше сообщение: ответ на запрос уточнения" in after


def test_the_status_page_refuses_an_empty_reply_and_a_reply_without_a_question(world, in_work, client):
    assert client.post(status_url(in_work) + "reply/", {"text": "Ответ"}).status_code == 409
    services.request_clarification(in_work, world.executor, question=QUESTION)
    empty = client.post(status_url(in_work) + "reply/", {"text": "  "})
    assert empty.status_code == 400 and "Напишите ответ на вопрос" in empty.content.decode()
    assert client.post(f"/status/{in_work.number}/wrong-key/reply/", {"text": "Ответ"}).status_code == 404
    assert not Event.objects.filter(appeal=in_work, kind="resident_message").exists()


def test_the_question_date_is_shown_in_moscow_time(world, in_work, client, settings):
    event = services.request_clarification(in_work, world.executor, question=QUESTION)
    local = timezone.localtime(event.at)
    assert local.utcoffset() == dt.timedelta(hours=3)
    page = client.get(status_url(in_work)).content.decode()
    assert f"{local:%H:%M}" in page


def test_the_residents_api_lists_the_question_in_the_history(world, client):
    a = new_appeal(world, user=world.resident)
    services.route_appeal(a, world.operator)
    services.request_clarification(a, world.operator, question=QUESTION)
    services.add_resident_message(a.pk, text="Дом 12", photos=[], source="app")
    client.force_login(world.resident)
    history = client.get(f"/api/my/appeals/{a.number}").json()["history"]
    kinds = [(h["kind"], h["title"], h["note"]) for h in history]
    assert ("request_clarification", "Запрошено уточнение", f"«{QUESTION}»") in kinds
    assert ("resident_message", "Получено ваше сообщение", "ответ на запрос уточнения") in kinds
    assert all("Operator" not in (h["note"] or "") for h in history)


def test_the_open_question_among_read_events_is_the_one_the_database_gives(world, in_work):
    """`open_question_among` (the card, over the events it has read) follows `open_question`'s rule
    at every step: none, asked, answered, asked again, asked once more in the same instant."""

    def both():
        events = list(Event.objects.filter(appeal=in_work).order_by("at", "pk"))
        return services.open_question(in_work), services.open_question_among(events)

    assert both() == (None, None)
    first = services.request_clarification(in_work, world.executor, question=QUESTION)
    assert both() == (first, first)
    services.add_resident_message(in_work.pk, text="Дом 12", photos=[], source="email", external_id="r-1")
    assert both() == (None, None)
    with clock.at(timezone.now() + dt.timedelta(minutes=5)):  # the same instant: the later row wins
        second = services.request_clarification(in_work, world.executor, question="А подъезд?")
        services.add_resident_message(in_work.pk, text="Второй", photos=[], source="email", external_id="r-2")
        third = services.request_clarification(in_work, world.executor, question="И этаж?")
    assert second.at == third.at
    assert both() == (third, third)
