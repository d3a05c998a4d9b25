"""Problems: several appeals about the same thing, joined to the first (the lead)."""

from __future__ import annotations

from django.db.models import F

from tsur.appeals import access
from tsur.appeals.models import (
    Appeal,
    Problem,
)
from tsur.appeals.services.notifications import notify_resident
from tsur.appeals.services.transitions import changing, log_event
from tsur.core.errors import TransitionNotAllowed, ValidationFailed

PROBLEM_LED_EVENT = "problem_led"


def join_to_problem(
    appeal: Appeal | int, actor, *, lead_number: str, reason: str = "", expected_version: int | None = None
) -> Appeal:
    """Join an appeal to the problem led by another (the first appeal stays the lead)."""
    # Look the lead up within the actor's scope, so the answer never reveals appeals outside it.
    candidates = access.appeals_for(actor) if actor is not None else Appeal.objects.all()
    lead = candidates.filter(number=lead_number.strip()).first()
    if lead is None:
        raise ValidationFailed("Ведущее обращение не найдено.", field_errors={"lead": ["Нет обращения с таким номером."]})
    if lead.problem_id and lead.problem.lead_id != lead.pk:
        lead = lead.problem.lead  # joining to a member means joining its problem
    if not lead.is_open:
        raise TransitionNotAllowed(f"Проблема по обращению {lead.number} уже закрыта: присоединять к ней нельзя.")
    with changing(appeal, "join_problem", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if a.pk == lead.pk:
            raise ValidationFailed("Обращение нельзя присоединить к самому себе.", field_errors={"lead": ["То же обращение."]})
        if hasattr(a, "led_problem") and a.led_problem.appeals.exclude(pk=a.pk).exists():
            raise TransitionNotAllowed("Это обращение само ведёт проблему с присоединёнными обращениями.")
        problem, _ = Problem.objects.get_or_create(lead=lead)
        if lead.problem_id != problem.pk:
            # The lead now heads a problem: a change of the lead too, so its version moves (an
            # operator acting on its old card is asked to look again) and its log says so.
            Appeal.objects.filter(pk=lead.pk).update(problem=problem, version=F("version") + 1)
            # The reason names no member: whoever sees the lead may not see the appeals joined to it.
            log_event(lead, PROBLEM_LED_EVENT, actor, reason="К обращению присоединено похожее", data={"problem": problem.pk})
        a.problem = problem
        a.organisation = lead.organisation
        a.executor = None
        ch.data = {"lead": lead.number, "problem": problem.pk}
        ch.reason = reason.strip() or f"То же, что обращение {lead.number}"
        notify_resident(
            a,
            "joined",
            f"Обращение {a.number} объединено с похожими",
            f"Ваше обращение {a.number} касается той же проблемы, что и обращение {lead.number}. "
            "Ответ по проблеме придёт и вам, и вы сможете его оценить.",
        )
    return ch.appeal


def detach_from_problem(appeal: Appeal | int, actor, *, reason: str, expected_version: int | None = None) -> Appeal:
    """Undo a join (an operator's or the automatic duplicate detector's): back to moderation."""
    if not reason.strip():
        raise ValidationFailed("Укажите, почему обращение не относится к проблеме.", field_errors={"reason": ["Обязательное поле."]})
    with changing(appeal, "detach_from_problem", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        ch.data = {"lead": a.problem.lead.number if a.problem_id else None}
        a.problem = None
        a.organisation = None
        ch.reason = reason.strip()
    return ch.appeal
