"""Several appeals about one thing form a problem: the lead is answered, every author gets it."""

from __future__ import annotations

import pytest

from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Appeal, Notification, Status
from tsur.core.errors import ConcurrentUpdate, TransitionNotAllowed


@pytest.fixture
def problem(world):
    lead = new_appeal(world)
    services.route_appeal(lead, world.operator)
    second = new_appeal(world, text="Та же яма у остановки, уже неделю")
    services.join_to_problem(second, world.operator, lead_number=lead.number)
    return lead, second


def answer_and_publish(world, lead):
    services.accept_appeal(lead.pk, world.coordinator)
    answers.prepare_answer(lead.pk, world.coordinator, text="Яма заделана 03.06.2025, участок принят по акту подрядчика.")
    answers.approve_answer(lead.pk, world.operator)
    answers.publish_answer(lead.pk, world.operator)


def test_it_joins_without_rejecting_and_keeps_the_lead(world, problem):
    lead, second = problem
    second.refresh_from_db()
    assert second.status == Status.JOINED and second.problem.lead == lead
    assert second.rejection_reason == ""


def test_it_publishes_the_answer_to_every_author(world, problem):
    lead, second = problem
    answer_and_publish(world, lead)
    second.refresh_from_db()
    assert second.status == Status.PUBLISHED
    assert answers.answer_for(second).text.startswith("Яма заделана")
    assert Notification.objects.filter(appeal=second, kind="answer").exists()


def test_it_reopens_the_lead_when_a_joined_author_is_unsatisfied(world, problem):
    lead, second = problem
    answer_and_publish(world, lead)
    answers.rate_appeal(lead.pk, None, score=5)
    answers.rate_appeal(second.pk, None, score=1, comment="ничего не сделано")
    lead.refresh_from_db()
    second.refresh_from_db()
    assert second.status == Status.JOINED
    assert lead.status == Status.IN_PROGRESS and lead.reopened_count == 1


def test_it_refuses_to_join_a_closed_problem(world, problem):
    lead, _ = problem
    answer_and_publish(world, lead)
    answers.rate_appeal(lead.pk, None, score=5)
    third = new_appeal(world)
    with pytest.raises(TransitionNotAllowed):
        services.join_to_problem(third, world.operator, lead_number=lead.number)


def test_it_refuses_to_reject_a_lead_with_members(world, problem):
    lead, _ = problem
    with pytest.raises(TransitionNotAllowed):
        services.reject_appeal(lead.pk, world.operator, reason_code="spam")


def test_the_lead_records_that_it_heads_a_problem_and_its_version_moves(world):
    lead = new_appeal(world)
    services.route_appeal(lead.pk, world.operator)
    before = Appeal.objects.get(pk=lead.pk).version
    member = new_appeal(world, text="Та же яма")
    services.join_to_problem(member.pk, world.operator, lead_number=lead.number)
    lead = Appeal.objects.get(pk=lead.pk)
    assert lead.problem_id and lead.version == before + 1
    event = lead.events.get(kind="problem_led")
    assert event.actor == world.operator and member.number not in event.reason  # the lead's viewers may not see the member
    # An operator acting on the lead's card as it was before is asked to look again.
    with pytest.raises(ConcurrentUpdate):
        services.change_urgency(lead.pk, world.operator, urgency="high", reason="дети", expected_version=before)
