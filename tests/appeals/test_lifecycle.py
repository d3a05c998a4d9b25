"""The whole lifecycle through the service functions, with the events it leaves behind."""

from __future__ import annotations

import pytest

from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Event, Status
from tsur.core.errors import AccessDenied, ConcurrentUpdate, TransitionNotAllowed, ValidationFailed


def kinds(appeal) -> list[str]:
    return list(Event.objects.filter(appeal=appeal).values_list("kind", flat=True))


def test_it_walks_the_whole_lifecycle(world):
    w = world
    a = new_appeal(w)
    a.refresh_from_db()
    assert a.status == Status.MODERATION  # the in-process pipeline took it from "received"
    assert a.regime == "message" and a.due_at is not None

    services.route_appeal(a, w.operator)
    assert a.status == Status.ROUTED and a.organisation == w.roads_ministry
    assert "Правило" in a.routing_reason

    services.assign_executor(a, w.coordinator, executor_id=w.executor.pk)
    assert a.status == Status.IN_PROGRESS and a.executor == w.executor
    answers.give_interim_answer(a, w.executor, text="Заявка передана подрядчику, ремонт запланирован.")
    answers.prepare_answer(a, w.executor, text="Яма заделана 12.05.2025 подрядной организацией, проверено выездом.")
    a.refresh_from_db()
    assert a.status == Status.ANSWER_PREPARED
    answers.approve_answer(a, w.operator)
    answers.publish_answer(a, w.operator)
    a.refresh_from_db()
    assert a.status == Status.PUBLISHED and a.published_at
    answers.rate_appeal(a, None, score=5)
    a.refresh_from_db()
    assert a.status == Status.CLOSED and a.close_reason == "satisfied"
    assert kinds(a) == [
        "created", "take_to_moderation", "route", "assign", "interim_answer",
        "prepare_answer", "approve_answer", "publish_answer", "rate_satisfied",
    ]
    assert all(e.at for e in Event.objects.filter(appeal=a))


def test_it_reopens_on_a_low_rating(world):
    w = world
    a = new_appeal(w)
    services.route_appeal(a.pk, w.operator)
    services.accept_appeal(a.pk, w.coordinator)
    answers.prepare_answer(a.pk, w.coordinator, text="Работы выполнены, покрытие восстановлено 01.06.2025.")
    answers.approve_answer(a.pk, w.operator)
    answers.publish_answer(a.pk, w.operator)
    answers.rate_appeal(a.pk, None, score=2, comment="Ничего не сделано")
    a.refresh_from_db()
    assert a.status == Status.IN_PROGRESS and a.reopened_count == 1


def test_it_refuses_an_unknown_transition_with_the_reason(world):
    a = new_appeal(world)
    with pytest.raises(TransitionNotAllowed) as exc:
        answers.publish_answer(a.pk, world.operator)
    assert "На модерации" in exc.value.message


def test_it_lets_only_one_of_two_operators_win(world):
    a = new_appeal(world)
    a.refresh_from_db()
    seen = a.version
    services.route_appeal(a.pk, world.operator, expected_version=seen)
    with pytest.raises(ConcurrentUpdate) as exc:
        services.reject_appeal(a.pk, world.operator, reason_code="spam", expected_version=seen)
    assert "другой пользователь" in exc.value.message
    a.refresh_from_db()
    assert a.status == Status.ROUTED and a.rejection_reason == ""


def test_it_keeps_organisations_out_of_each_others_appeals(world):
    a = new_appeal(world)
    services.route_appeal(a.pk, world.operator)
    with pytest.raises(AccessDenied):
        services.accept_appeal(a.pk, world.city_coordinator)
    with pytest.raises(AccessDenied):
        services.reject_appeal(a.pk, world.analyst, reason_code="spam")


def test_it_requires_text(world):
    with pytest.raises(ValidationFailed) as exc:
        new_appeal(world, text="   ")
    assert "text" in exc.value.field_errors
