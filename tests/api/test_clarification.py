"""Clarification requests through the API: staff ask (the same service and rules as the card),
the app shows the open question by the private key and takes the resident's reply."""

from __future__ import annotations

from tsur.appeals.models import Appeal, Event

QUESTION = "Уточните, пожалуйста, номер дома, напротив которого яма."


def test_staff_ask_and_the_resident_answers_through_the_app(api, world, submitted):
    number, key = submitted["number"], submitted["access_key"]
    api.act(number, "route", "operator")
    card = api.card(number, "coordinator")
    assert "clarification" in card["available_actions"]
    before = Appeal.objects.get(number=number)
    response = api.act(number, "clarification", "coordinator", {"question": QUESTION})
    assert response.status_code == 200, response.content
    after = Appeal.objects.get(number=number)
    assert after.status == before.status and after.due_at == before.due_at

    body = api.get(f"/api/public/appeals/{number}", key=key).json()
    assert body["open_question"]["text"] == QUESTION
    assert any(h["kind"] == "request_clarification" for h in body["history"])

    reply = api.post(f"/api/public/appeals/{number}/reply?key={key}", {"text": "Дом 12, напротив аптеки"})
    assert reply.status_code == 200, reply.content
    assert reply.json()["open_question"] is None
    message = Event.objects.get(appeal__number=number, kind="resident_message")
    assert message.data["channel"] == "app" and message.data["clarification"]

    again = api.post(f"/api/public/appeals/{number}/reply?key={key}", {"text": "Ещё раз"})
    assert again.status_code == 409
    assert api.post(f"/api/public/appeals/{number}/reply?key=wrong", {"text": "Ответ"}).status_code == 404


def test_analysts_and_empty_questions_are_refused(api, world, submitted):
    number = submitted["number"]
    api.act(number, "route", "operator")
    assert api.act(number, "clarification", "analyst", {"question": QUESTION}).status_code == 403
    assert api.act(number, "clarification", "operator", {"question": ""}).status_code == 422
    assert not Event.objects.filter(appeal__number=number, kind="request_clarification").exists()
