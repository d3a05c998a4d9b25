"""Problems: several appeals about the same thing, joined to the first (the lead)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import transaction
from django.db.models import F, prefetch_related_objects

from tsur.appeals import access
from tsur.appeals.events import AppealChange, appeal_changed
from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import (
    Appeal,
    Event,
    Problem,
)
from tsur.appeals.services.notifications import notify_resident, notify_residents
from tsur.appeals.services.transitions import SYSTEM, _move_clock, changing, log_event, step
from tsur.core.db import copy_rows, update_rows
from tsur.core.errors import TransitionNotAllowed, ValidationFailed

log = logging.getLogger(__name__)

PROBLEM_LED_EVENT = "problem_led"
LED_REASON = "К обращению присоединено похожее"  # names no member: whoever sees the lead may not see them


def _joined_notice(appeal: Appeal, lead_number: str) -> tuple[str, str]:
    return (
        f"Обращение {appeal.number} объединено с похожими",
        f"Ваше обращение {appeal.number} касается той же проблемы, что и обращение {lead_number}. "
        "Ответ по проблеме придёт и вам, и вы сможете его оценить.",
    )


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
            log_event(lead, PROBLEM_LED_EVENT, actor, reason=LED_REASON, data={"problem": problem.pk})
        a.problem = problem
        a.organisation = lead.organisation
        a.executor = None
        ch.data = {"lead": lead.number, "problem": problem.pk}
        ch.reason = reason.strip() or f"То же, что обращение {lead.number}"
        notify_resident(a, "joined", *_joined_notice(a, lead.number))
    return ch.appeal


# What a join writes to the joined appeal (besides a clock the lifecycle may move).
JOINED_FIELDS = ("problem", "organisation", "executor", "status", "version", "search_text")
DEADLINE_FIELDS = ("due_at", "due_explain", "registration_due_at", "transfer_due_at", "escalation_level", "reminded_at")


def join_to_problems(joins: Sequence[tuple[int, int]], *, reason: str = "") -> dict[int, str]:
    """The system joins many appeals at once, each to the problem led by another: the door for
    batch joins (triage's near-duplicates of a channel's batch). `joins`: (appeal id, lead id)
    pairs. Returns {appeal id: the lead's number} for those joined.

    Each joined appeal ends as `join_to_problem` leaves it — status, problem, organisation,
    version, its `join_problem` event (published to `appeal_changed` after commit), the
    resident's «объединено» notice; a lead that starts heading a problem gets its version moved
    and its `problem_led` event — but with a constant number of statements for the whole batch
    in one transaction: one lock of all the rows, one read of the problems, one insert of the
    new problems, one update of the leads, one of the joined appeals, one insert of the events,
    one of the notifications.

    Locking: all the batch's appeals and leads are locked with one SELECT … FOR UPDATE in id
    order, so two batches joining into the same problems (two workers) wait for each other and
    never deadlock; each is checked after the lock, on what is committed. A pair that cannot be
    joined now is skipped and logged, never half-written: the appeal is already joined or past
    the joinable statuses (a second run of the same batch joins nothing), it is its own lead,
    it leads a problem with other appeals, or the lead is closed. Joining to a member means
    joining its problem, as an operator's join does."""
    wanted: dict[int, int] = {}
    for appeal_id, lead_id in joins:
        if appeal_id != lead_id:
            wanted.setdefault(appeal_id, lead_id)
    if not wanted:
        return {}
    transition = TRANSITIONS["join_problem"]
    with transaction.atomic():
        heads = dict(
            Appeal.objects.filter(pk__in=set(wanted.values()), problem__isnull=False).values_list("pk", "problem__lead_id")
        )
        target = {a: heads.get(lead, lead) for a, lead in wanted.items()}
        rows = {
            a.pk: a
            for a in Appeal.objects.select_for_update(of=("self",))
            .filter(pk__in=set(target) | set(target.values()))
            .order_by("pk")
        }
        leading = set(
            Appeal.objects.filter(problem__lead_id__in=list(target))
            .exclude(pk=F("problem__lead_id"))
            .values_list("problem__lead_id", flat=True)
        )
        pairs: list[tuple[Appeal, Appeal]] = []
        for appeal_id, lead_id in target.items():
            appeal, lead = rows.get(appeal_id), rows.get(lead_id)
            why = _not_joinable(appeal, lead, leading, transition.sources, target)
            if why:
                log.info("appeal %s not joined to %s: %s", appeal_id, lead_id, why)
                continue
            pairs.append((appeal, lead))
        if not pairs:
            return {}
        problems = _problems_of({lead.pk for _, lead in pairs})
        events: list[Event] = []
        changed_leads: list[Appeal] = []
        clock_moved = False
        for appeal, lead in pairs:
            problem = problems[lead.pk]
            if lead.problem_id != problem.pk:
                lead.problem = problem
                lead.version += 1
                changed_leads.append(lead)
                events.append(_event(lead, PROBLEM_LED_EVENT, lead.status, LED_REASON, {"problem": problem.pk}))
            from_status = appeal.status
            appeal.problem = problem
            appeal.organisation_id = lead.organisation_id
            appeal.executor = None
            data = {"lead": lead.number, "problem": problem.pk}
            _move_clock(appeal, transition, data)
            clock_moved = clock_moved or "due_at" in data
            step(appeal, "join_problem")
            appeal.refresh_search_text()
            events.append(_event(appeal, "join_problem", from_status, reason.strip() or f"То же, что обращение {lead.number}", data))
        joined = [appeal for appeal, _ in pairs]
        update_rows(Appeal, changed_leads, ("problem", "version"))
        update_rows(Appeal, joined, JOINED_FIELDS + (DEADLINE_FIELDS if clock_moved else ()))
        copy_rows(Event, events, with_ids=True)
        prefetch_related_objects(joined, "resident")
        notify_residents([(appeal, *_joined_notice(appeal, lead.number)) for appeal, lead in pairs], "joined")
        # As `changing` does: the transitions' events to subscribers, after commit; a lead's
        # `problem_led` is a log entry only, as `log_event` writes it for one join.
        appeal_changed.publish([AppealChange.of(e) for e in events if e.kind == "join_problem"])
    return {appeal.pk: lead.number for appeal, lead in pairs}


def _not_joinable(appeal: Appeal | None, lead: Appeal | None, leading: set[int], sources: frozenset, target: dict) -> str:
    """Why a pair cannot be joined now (for the log, which names no resident), or ""."""
    if appeal is None or lead is None:
        return "not found"
    if appeal.status not in sources:
        return f"status {appeal.status}"
    if not lead.is_open or lead.pk in target:
        return "the lead is closed or is being joined itself"
    if appeal.pk in leading:
        return "the appeal leads a problem with other appeals"
    return ""


def _problems_of(lead_ids: set[int]) -> dict[int, Problem]:
    """The problem of each lead, created where there is none yet. The leads are locked, so no
    other batch creates theirs meanwhile; an operator's join (which creates it before locking the
    lead) may, so a conflict is skipped and the row read back."""
    problems = {p.lead_id: p for p in Problem.objects.filter(lead_id__in=lead_ids)}
    missing = [Problem(lead_id=lead_id) for lead_id in sorted(lead_ids - set(problems))]
    if missing:
        Problem.objects.bulk_create(missing, ignore_conflicts=True)
        problems = {p.lead_id: p for p in Problem.objects.filter(lead_id__in=lead_ids)}
    return problems


def _event(appeal: Appeal, kind: str, from_status: str, reason: str, data: dict) -> Event:
    return Event(
        appeal=appeal, kind=kind, actor=None, actor_label=SYSTEM, from_status=from_status, to_status=appeal.status,
        reason=reason, data=data,
    )


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
