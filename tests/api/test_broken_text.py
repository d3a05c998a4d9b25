"""Text that cannot be stored (a lone UTF-16 surrogate, NUL) is refused with a precise 422, never a
server error; control characters are dropped on the way in. Found by fuzzing: "\\ud800" in `text`
or in the free text of staff actions gave 500 (UnicodeEncodeError in the database driver)."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import APPEAL
from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal, Event

BROKEN = "Яма \ud800 на дороге"

# (action, its free-text field, the rest of a body the schema accepts, what the appeal must be in)
ACTIONS = [
    ("urgency", "reason", {"urgency": "high"}, "moderation"),
    ("route", "reason", {}, "moderation"),
    ("transfer", "reason", {"organisation": "waste-op"}, "routed"),
    ("return-to-moderation", "reason", {}, "routed"),
    ("interim-answer", "text", {}, "routed"),
    ("extension-request", "reason", {"days": 5}, "routed"),
    ("answer", "text", {}, "in_progress"),
    ("answer-return", "note", {}, "answer_prepared"),
    ("answer-approve", "note", {}, "answer_prepared"),
]


def raw_post(client, url: str, body: dict, key: str | None = None):
    # json.dumps writes a lone surrogate as the escape "\ud800", exactly what a fuzzer sends.
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers)


@pytest.mark.parametrize("field", ["text", "address", "name", "phone", "email", "external_id"])
def test_it_refuses_a_lone_surrogate_at_intake(client, world, field):
    response = raw_post(client, "/api/appeals", dict(APPEAL, **{field: BROKEN if field != "external_id" else "k" * 20 + "\ud800"}))
    assert response.status_code == 422, response.content
    assert response.json()["fields"][field] == ["Текст содержит недопустимые символы (повреждённая кодировка): проверьте его и отправьте ещё раз."]
    assert Appeal.objects.count() == 0


def bring_to(world, status: str) -> Appeal:
    appeal = new_appeal(world)
    if status != "moderation":
        services.route_appeal(appeal.pk, world.operator)
    if status in ("in_progress", "answer_prepared"):
        services.accept_appeal(appeal.pk, world.coordinator)
    if status == "answer_prepared":
        from tsur.answers import services as answers

        answers.prepare_answer(appeal.pk, world.coordinator, text="Яма заделана 12.05.2025")
    return Appeal.objects.get(pk=appeal.pk)


@pytest.mark.parametrize(("action", "field", "rest", "status"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_it_refuses_a_lone_surrogate_in_every_staff_action(api, world, action, field, rest, status):
    appeal = bring_to(world, status)
    assert appeal.status == status
    events = Event.objects.filter(appeal=appeal).count()
    body = {"version": appeal.version, field: BROKEN, **rest}
    response = raw_post(api.client, f"/api/appeals/{appeal.number}/{action}", body, api.key("operator"))
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    fresh = Appeal.objects.get(pk=appeal.pk)
    assert (fresh.status, fresh.version, Event.objects.filter(appeal=appeal).count()) == (status, appeal.version, events)


def test_it_drops_control_characters_at_intake(client, world):
    response = raw_post(client, "/api/appeals", dict(APPEAL, text="Яма\x0b на\x01 дороге\tу дома\n5", address="ул.\x08 Мира"))
    appeal = Appeal.objects.get(number=response.json()["number"])
    assert (appeal.text, appeal.address) == ("Яма на дороге\tу дома\n5", "ул. Мира")


def test_the_service_refuses_what_cannot_be_stored_from_any_channel(world):
    from tsur.appeals.services import NewAppeal, create_appeals
    from tsur.core.errors import ValidationFailed

    [result] = create_appeals([NewAppeal(channel="vk", text="Пост \ud83d без пары")])
    assert isinstance(result, ValidationFailed) and "text" in result.field_errors
    assert Appeal.objects.count() == 0


def test_workspace_forms_drop_control_characters(client, world):
    from tests.workspace.helpers import Desk

    appeal = bring_to(world, "moderation")
    response = Desk(client).as_(world.operator).act(appeal, "change_urgency", {"urgency": "high", "reason": "Де\x0bти\x1f рядом"})
    assert response.status_code == 302
    assert Event.objects.get(appeal=appeal, kind="change_urgency").reason == "Дети рядом"
