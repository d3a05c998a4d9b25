"""Internal notes on the card: staff who work the appeal write them and mention colleagues; a
mention of someone who cannot see the appeal is refused; analysts and residents never see them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Event, InternalNote
from tsur.appeals.services.notes import add_note, colleagues_for, mentioned_usernames
from tsur.core import clock
from tsur.core.errors import AccessDenied, ValidationFailed
from tsur.deadlines.models import StaffAlert

MSK = ZoneInfo("Europe/Moscow")
HTMX = {"HTTP_HX_REQUEST": "true"}


def post_note(desk, appeal, text: str, mentions: list[int] | None = None, **headers):
    data = {"text": text, "mentions": [str(pk) for pk in mentions or []]}
    return desk.client.post(reverse("workspace:note_add", args=[appeal.number]), data, **headers)


@pytest.fixture
def routed(world):
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    return a


def test_it_shows_notes_oldest_first_with_author_and_moscow_time(desk, world, routed):
    with clock.at(dt.datetime(2026, 3, 2, 9, 5, tzinfo=dt.UTC)):
        add_note(routed, world.operator, "Первая заметка: уточнить у дорожников")
    with clock.at(dt.datetime(2026, 3, 2, 10, 40, tzinfo=dt.UTC)):
        add_note(routed, world.coordinator, "Вторая заметка: бригада выезжает")
    html = desk.as_(world.coordinator).card(routed).content.decode()
    assert html.index("Первая заметка") < html.index("Вторая заметка")
    assert "02.03.2026 12:05" in html and "02.03.2026 13:40" in html  # Moscow, not UTC
    assert "Operator" in html and "Coordinator" in html  # the authors' names


def test_it_adds_a_note_with_htmx_and_signals_a_picked_colleague(desk, world, routed):
    response = post_note(desk.as_(world.operator), routed, "Проверьте адрес, пожалуйста", [world.coordinator.pk], **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="notes"' in html and "Проверьте адрес" in html and "Упомянуты: Coordinator" in html
    note = InternalNote.objects.get(appeal=routed)
    assert list(note.mentions.all()) == [world.coordinator]
    assert StaffAlert.objects.get(kind="mention").user == world.coordinator


def test_it_refuses_a_mention_of_someone_who_cannot_see_the_appeal(desk, world, routed):
    response = post_note(desk.as_(world.operator), routed, "@waste_coordinator посмотрите", **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Нельзя упомянуть: Waste_Coordinator — нет доступа к этому обращению." in html
    assert not InternalNote.objects.exists() and not StaffAlert.objects.filter(kind="mention").exists()
    # Picked from the list: the list holds only those who see the appeal, so the choice is refused too.
    response = post_note(desk, routed, "Посмотрите", [world.waste_coordinator.pk], **HTMX)
    assert response.status_code == 422 and not InternalNote.objects.exists()


def test_it_refuses_a_mention_of_an_unknown_username(world, routed):
    with pytest.raises(ValidationFailed, match="Нет сотрудника с именем пользователя @nobody"):
        add_note(routed, world.operator, "@nobody посмотрите")


def test_it_offers_only_colleagues_who_see_the_appeal(world, routed):
    names = set(colleagues_for(routed).values_list("username", flat=True))
    assert {"operator", "admin", "coordinator"} <= names
    assert not names & {"executor", "colleague", "waste_coordinator", "city_coordinator", "analyst", "resident"}
    services.assign_executor(routed, world.coordinator, executor_id=world.executor.pk)
    routed.refresh_from_db()
    assert "executor" in set(colleagues_for(routed).values_list("username", flat=True))


def test_it_finds_mentions_but_not_email_addresses(world):
    assert mentioned_usernames("@coordinator и @executor, пишите на ivan@example.org; ещё раз @coordinator.") == [
        "coordinator",
        "executor",
    ]


def test_it_keeps_notes_from_analysts_and_from_those_outside_the_scope(desk, world, routed):
    add_note(routed, world.operator, "Заметка только для работающих с обращением")
    assert "Заметка только для" not in desk.as_(world.analyst).card(routed).content.decode()
    assert post_note(desk, routed, "Аналитик пишет", **HTMX).status_code == 403
    with pytest.raises(AccessDenied):
        add_note(routed, world.analyst, "Аналитик пишет")
    assert post_note(desk.as_(world.waste_coordinator), routed, "Чужой координатор").status_code == 404
    assert InternalNote.objects.count() == 1


def test_it_writes_an_audit_event_without_the_text(world, routed):
    add_note(routed, world.operator, "Текст заметки не попадает в журнал @coordinator")
    event = Event.objects.get(appeal=routed, kind="note_added")
    assert event.actor == world.operator and event.from_status == event.to_status
    assert "Текст заметки" not in event.reason and "Текст заметки" not in str(event.data)
    assert event.data["mentioned"] == [world.coordinator.pk]


def test_it_works_without_javascript(desk, world, routed):
    response = post_note(desk.as_(world.operator), routed, "Без HTMX")
    assert response.status_code == 302 and response["Location"].endswith(f"/appeals/{routed.number}/#notes")
    assert InternalNote.objects.filter(text="Без HTMX").exists()
