"""Recording past appeals with their whole story, in bulk: `record_history(items)`.

A history import (the demo's generated year, the benchmark's million) has stories that already
happened: an appeal received at a moment, then taken to moderation, routed, answered, published,
rated. Replaying each through the services under `clock.at` costs ~40 ms an appeal (a row lock, a
save and an event insert per transition); this writes the same rows with one insert per table
per batch.

What it guarantees:

* every transition goes through the lifecycle's batch door (`appeals.services.transitions.step`):
  a story that takes a transition from a status it does not allow, goes back in time, routes to an
  unknown organisation, rates without a published answer… is refused with a ValidationFailed
  naming the item and its step, and nothing of its batch is written (one transaction per batch);
* the appeal's fields end as the services would leave them: number from the yearly counter
  (`next_numbers`), regime, masked text and search text as creation makes them, queue, routing
  (the explained `routing.decide` unless the step names the organisation), registration, routing,
  answer, publication and closing moments, reopenings, and the due dates of `tsur.deadlines` for
  the regime, urgency, organisation calendar and received moment (each transition's clock effect
  of the lifecycle: keep, recompute, restart);
* one Event per transition with its from/to statuses, moment, actor, reason and data (plus the
  "created" event, and "problem_led" when an appeal first heads a problem), Answer rows (interim,
  final with the formal-reply findings, their check and publication) and Rating rows.

What it does not do, on purpose:

* it publishes nothing to `appeal_changed` / `appeals_received`: a year of history would flood
  every subscriber (triage corrections, tension recounts) with events that are not news. After an
  import run `tsur analytics rebuild` and `tsur tension recompute`, which read the stored state;
* it writes no notifications to residents (the moments are past; nobody is to be told now) and
  stores no residents' personal data (history items carry none);
* it does not model extensions, reclassification or changes of place (the stories a history
  import needs do without; such a step is refused by name).

Speed (PostgreSQL, measured): see docs/demo-history.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tsur.answers.checking import find_formal_reply
from tsur.answers.models import Answer, Rating
from tsur.appeals import access, channels
from tsur.appeals.lifecycle import ANY_OPEN, RECOMPUTE, RESTART, TRANSITIONS
from tsur.appeals.models import Appeal, ClassificationSource, CloseReason, Event, Problem, RejectionReason, Status
from tsur.appeals.privacy import masked
from tsur.appeals.services import next_numbers
from tsur.appeals.services.creation import CATEGORY_DEFAULT_URGENCY, regime_for
from tsur.appeals.services.problems import PROBLEM_LED_EVENT
from tsur.appeals.services.transitions import SYSTEM, actor_label, step
from tsur.core.db import copy_rows, update_rows
from tsur.core.errors import DomainError, ValidationFailed
from tsur.deadlines.services import DeadlineRules, apply_deadlines
from tsur.directory.models import Category, Organisation, Territory, Urgency
from tsur.directory.services import QueueLookup, territory_at
from tsur.lib.safetext import clean_text
from tsur.routing.services import decide

RESIDENT_LABEL = "житель"
# The transitions a history story may take (see the module's docstring for those left out).
SUPPORTED = frozenset(
    {
        "take_to_moderation", "route", "transfer", "return_to_moderation", "assign", "accept", "interim_answer",
        "prepare_answer", "approve_answer", "return_answer", "publish_answer", "rate_satisfied", "reopen",
        "auto_close", "confirm_resolution", "reject", "join_problem", "deliver_problem_answer", "change_urgency",
    }
)


@dataclass(frozen=True)
class PastStep:
    """One transition of a past appeal's story.

    `name`: a transition of tsur.appeals.lifecycle.TRANSITIONS; `at`: when it happened (aware);
    `actor`: the user who took it (None: the system, or the resident for a rating); `reason`: the
    event's reason (the note of a returned answer, the source of a confirmation…).
    What the step needs, by name: `organisation` (code; route: empty = the routing rules decide;
    transfer: required), `executor` (assign: a user of the appeal's organisation), `text` (the
    answer of interim_answer / prepare_answer), `score` (rate_satisfied / reopen, 1-5),
    `lead` (join_problem: the key of an earlier item of the same call, or a stored appeal's number),
    `rejection` (reject: a RejectionReason code), `urgency` (change_urgency)."""

    name: str
    at: dt.datetime
    actor: object | None = None
    reason: str = ""
    organisation: str = ""
    executor: object | None = None
    text: str = ""
    score: int | None = None
    lead: str = ""
    rejection: str = ""
    urgency: str = ""


@dataclass
class PastAppeal:
    """A past appeal: what creation receives, then its story. `key` names it in errors and lets a
    later item of the same call join it (`PastStep.lead`)."""

    key: str
    channel: str
    text: str
    received_at: dt.datetime
    category_code: str = ""
    territory_code: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    external_id: str = ""
    steps: Sequence[PastStep] = field(default_factory=tuple)


class _Refused(Exception):
    """A story the lifecycle or a service's rule refuses; turned into ValidationFailed naming the item."""


@dataclass
class _Row:
    """An appeal being built, with the rows its story adds."""

    item: PastAppeal
    appeal: Appeal
    events: list[Event] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    ratings: list[Rating] = field(default_factory=list)
    # Event data to complete once the rows they name have ids: (data, key, row object).
    refs: list[tuple[dict, str, object]] = field(default_factory=list)
    final: Answer | None = None  # the current final answer
    published: Answer | None = None  # the last published final answer (what a rating rates)
    lead: _Row | Appeal | None = None
    joined_at: dt.datetime | None = None
    join_data: dict | None = None  # the join event's data and, when it made the lead a lead, its "problem_led" event's
    led_data: dict | None = None


class _Reference:
    """Directory rows and per-batch caches shared by every story of a call."""

    def __init__(self) -> None:
        self.categories = {c.code: c for c in Category.objects.filter(is_active=True).select_related("block")}
        self.territories = {t.code: t for t in Territory.objects.all()}
        self.organisations = {o.code: o for o in Organisation.objects.filter(is_active=True)}
        self.queue_for = QueueLookup()
        self.rules = DeadlineRules()
        self._routes: dict[tuple, object] = {}
        self._labels: dict[int, str] = {}
        self._memberships: dict[int, object] = {}
        self._points: dict[tuple[float, float], Territory | None] = {}
        self._findings: dict[str, list] = {}
        self.leading: set[int] = set()  # id() of the appeals this call made leads of a problem

    def route(self, appeal: Appeal):
        key = (appeal.category_id, appeal.block_id, appeal.territory_id)
        if key not in self._routes:
            self._routes[key] = decide(appeal)
        return self._routes[key]

    def label(self, actor) -> str:
        if actor is None:
            return SYSTEM
        if actor.pk not in self._labels:
            self._labels[actor.pk] = actor_label(actor)
        return self._labels[actor.pk]

    def membership(self, user):
        if user.pk not in self._memberships:
            self._memberships[user.pk] = access.membership_of(user)
        return self._memberships[user.pk]

    def territory_at(self, lat: float, lon: float) -> Territory | None:
        if (lat, lon) not in self._points:
            self._points[lat, lon] = territory_at(lat, lon)
        return self._points[lat, lon]

    def findings(self, text: str) -> list:
        if text not in self._findings:
            if len(self._findings) > 5000:
                self._findings.clear()
            self._findings[text] = find_formal_reply(text)
        return self._findings[text]


def record_history(
    items: Iterable[PastAppeal], *, batch: int = 5000, progress: Callable[[int], None] | None = None
) -> int:
    """Write past appeals with their whole story; returns how many were written.

    Items are written `batch` at a time, each batch in one transaction: a story refused (a
    ValidationFailed naming the item and the step) leaves nothing of its batch written; batches
    written before it stay. `progress(n)` is called with the running total after each batch.
    Publishes no `appeal_changed`: run `tsur analytics rebuild` and `tsur tension recompute` after
    an import (see the module's docstring)."""
    ref = _Reference()
    keys: dict[str, Appeal] = {}  # earlier items of this call, by key, for joins across batches
    written = 0
    for chunk in _chunks(items, batch):
        _write_batch(chunk, ref, keys)
        written += len(chunk)
        if progress is not None:
            progress(written)
    return written


def _chunks(items: Iterable[PastAppeal], size: int) -> Iterator[list[PastAppeal]]:
    chunk: list[PastAppeal] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_batch(items: list[PastAppeal], ref: _Reference, keys: dict[str, Appeal]) -> None:
    with transaction.atomic():
        rows: list[_Row] = []
        in_batch: dict[str, _Row] = {}
        for item in items:
            try:
                row = _build(item, ref, in_batch, keys)
            except (_Refused, DomainError) as exc:
                message = exc.message if isinstance(exc, DomainError) else str(exc)
                raise ValidationFailed(
                    f"История обращения «{item.key}» не записана: {message}", field_errors={item.key: [message]}
                ) from exc
            rows.append(row)
            in_batch[item.key] = row
        _number(rows)
        _insert(rows)
    for row in rows:
        keys[row.item.key] = row.appeal


def _number(rows: list[_Row]) -> None:
    """Consecutive numbers per year of receipt, in the order of the items (as creation does)."""
    by_year: dict[int, list[_Row]] = {}
    for row in rows:
        by_year.setdefault(timezone.localtime(row.appeal.received_at).year, []).append(row)
    for group in by_year.values():
        for row, number in zip(group, next_numbers(len(group), group[0].appeal.received_at), strict=True):
            row.appeal.number = number
            row.appeal.refresh_search_text()


def _insert(rows: list[_Row]) -> None:
    appeals = [row.appeal for row in rows]
    problems: dict[int, Problem] = {}  # id() of the lead's appeal -> its problem
    for row in rows:
        lead = row.lead
        if lead is None:
            continue
        lead_appeal = lead.appeal if isinstance(lead, _Row) else lead
        problems.setdefault(id(lead_appeal), Problem(lead=lead_appeal, created_at=row.joined_at))
    stored_leads = [p.lead.pk for p in problems.values() if p.lead.pk is not None]
    copy_rows(Appeal, appeals, with_ids=True)
    known = {p.lead_id: p for p in Problem.objects.filter(lead_id__in=stored_leads)} if stored_leads else {}
    new_problems = []
    for key, problem in list(problems.items()):
        if problem.lead.pk in known:
            problems[key] = known[problem.lead.pk]
        else:
            new_problems.append(problem)
    copy_rows(Problem, new_problems, with_ids=True)
    changed: list[Appeal] = []
    for row in rows:
        if row.lead is not None:
            lead_appeal = row.lead.appeal if isinstance(row.lead, _Row) else row.lead
            problem = problems[id(lead_appeal)]
            row.appeal.problem = problem
            for data in (row.join_data, row.led_data):
                if data is not None:
                    data["problem"] = problem.pk
            changed.append(row.appeal)
            if lead_appeal.problem_id != problem.pk:
                lead_appeal.problem = problem
                changed.append(lead_appeal)
    if changed:
        update_rows(Appeal, list({id(a): a for a in changed}.values()), ["problem", "version"])
    answers = [a for row in rows for a in row.answers]
    copy_rows(Answer, answers, with_ids=True)
    ratings = [r for row in rows for r in row.ratings]
    copy_rows(Rating, ratings, with_ids=True)
    for row in rows:
        for data, key, obj in row.refs:
            data[key] = obj.number if isinstance(obj, Appeal) else obj.pk
    copy_rows(Event, [e for row in rows for e in row.events], with_ids=True)


def _build(item: PastAppeal, ref: _Reference, in_batch: dict[str, _Row], keys: dict[str, Appeal]) -> _Row:
    """The appeal as creation leaves it, then each step of its story applied in memory."""
    received = item.received_at
    if received is None or timezone.is_naive(received):
        raise _Refused("момент поступления должен быть указан с часовым поясом.")
    text = clean_text((item.text or "").strip())
    if not text:
        raise _Refused("пустой текст обращения.")
    if item.channel not in channels.known():
        raise _Refused(f"неизвестный канал {item.channel!r}.")
    category = ref.categories.get(item.category_code) if item.category_code else None
    if item.category_code and category is None:
        raise _Refused(f"категории {item.category_code!r} нет в классификаторе.")
    territory = ref.territories.get(item.territory_code) if item.territory_code else None
    if item.territory_code and territory is None:
        raise _Refused(f"территории {item.territory_code!r} нет в справочнике.")
    if territory is None and item.lat is not None and item.lon is not None:
        territory = ref.territory_at(item.lat, item.lon)
    address = clean_text(item.address.strip())[:300]
    appeal = Appeal(
        channel=item.channel,
        external_id=item.external_id[:200],
        regime=regime_for(item.channel, category),
        text=text,
        text_masked=masked(text),
        territory=territory,
        address=address,
        lat=item.lat,
        lon=item.lon,
        place_source=ClassificationSource.RESIDENT if (territory or address or item.lat is not None) else "",
        category=category,
        block=category.block if category else None,
        classification_source=ClassificationSource.RESIDENT if category else "",
        urgency=category.default_urgency if category else Urgency.NORMAL,
        urgency_reason=CATEGORY_DEFAULT_URGENCY if category and category.default_urgency == Urgency.HIGH else "",
        queue=ref.queue_for(territory, category),
        received_at=received,
        created_at=received,
        status=Status.RECEIVED,
    )
    apply_deadlines(appeal, rules=ref.rules)
    row = _Row(item=item, appeal=appeal)
    row.events.append(
        Event(
            appeal=appeal, kind="created", actor=None, actor_label=RESIDENT_LABEL, at=received, to_status=Status.RECEIVED,
            data={"channel": appeal.channel, "regime": appeal.regime, "photos": 0},
        )
    )
    last = received
    for n, past in enumerate(item.steps, start=1):
        where = f"шаг {n} «{past.name}»"
        if past.name not in SUPPORTED:
            raise _Refused(f"{where}: такой шаг импорт истории не поддерживает.")
        if past.at is None or timezone.is_naive(past.at):
            raise _Refused(f"{where}: момент должен быть указан с часовым поясом.")
        if past.at < last:
            raise _Refused(f"{where}: момент {past.at.isoformat()} раньше предыдущего ({last.isoformat()}).")
        try:
            _apply(row, past, ref, in_batch, keys)
        except (_Refused, DomainError) as exc:
            message = exc.message if isinstance(exc, DomainError) else str(exc)
            raise _Refused(f"{where}: {message}") from exc
        last = past.at
    return row


def _apply(row: _Row, past: PastStep, ref: _Reference, in_batch: dict[str, _Row], keys: dict[str, Appeal]) -> None:
    """One step: the service's rule and field changes, the lifecycle's check (`step`) and clock
    effect, and the event."""
    a, at, name = row.appeal, past.at, past.name
    transition = TRANSITIONS[name]
    from_status = a.status
    if from_status not in transition.sources:
        step(a, name)  # raises the lifecycle's own refusal
    data: dict = {}
    reason = past.reason.strip()
    label = ref.label(past.actor)
    if name == "take_to_moderation":
        reason = reason or ("Первичная обработка завершена" if past.actor is None else "Взято на модерацию оператором")
    elif name == "route":
        if past.organisation:
            org = _organisation(ref, past.organisation)
            a.organisation = org
            a.routing_reason = f"Выбрано оператором вручную: {reason or 'без комментария'}"
            data = {"organisation": org.code, "manual": True}
        else:
            decision = ref.route(a)
            a.organisation = decision.organisation
            a.routing_reason = decision.reason
            data = {"organisation": decision.organisation.code, "rule": decision.rule_id, "manual": False}
        a.registered_at = a.registered_at or at
        a.routed_at = at
        a.executor = None
        reason = a.routing_reason
    elif name == "transfer":
        if not reason:
            raise _Refused("укажите причину переадресации.")
        org = _organisation(ref, past.organisation)
        if a.organisation_id == org.pk:
            raise _Refused("обращение уже находится в этой организации.")
        data = {"from": a.organisation.code if a.organisation_id else None, "to": org.code}
        a.organisation, a.executor, a.routed_at = org, None, at
        a.routing_reason = f"Переадресовано: {reason}"
        a.escalation_level, a.reminded_at = 0, None
    elif name == "return_to_moderation":
        if not reason:
            raise _Refused("укажите, почему обращение не относится к организации.")
        data = {"from": a.organisation.code if a.organisation_id else None}
        a.organisation = a.executor = None
    elif name == "assign":
        user = past.executor
        m = ref.membership(user) if user is not None else None
        if m is None or m.role not in ("executor", "coordinator") or m.organisation_id != a.organisation_id:
            raise _Refused("исполнитель должен быть сотрудником организации, в которой находится обращение.")
        data = {"executor": user.pk}
        reason = f"Исполнитель: {ref.label(user)}"
        a.executor = user
    elif name == "accept":
        if a.executor_id is None and past.actor is not None and access.role_of(past.actor) == "executor":
            a.executor = past.actor
    elif name == "interim_answer":
        answer = _answer(row, past, Answer.Kind.INTERIM, ref)
        answer.check_state, answer.published_at = Answer.Check.NOT_REQUIRED, at
        a.interim_answered_at = at
        row.refs.append((data, "answer", answer))
    elif name == "prepare_answer":
        answer = _answer(row, past, Answer.Kind.FINAL, ref)
        answer.formal_findings = ref.findings(answer.text)
        row.final = answer
        a.answered_at = at
        data = {"formal_findings": len(answer.formal_findings)}
        row.refs.append((data, "answer", answer))
    elif name in ("approve_answer", "return_answer"):
        if row.final is None:
            raise _Refused("у обращения нет подготовленного ответа.")
        if name == "return_answer" and not reason:
            raise _Refused("напишите, что исправить в ответе.")
        answer = row.final
        answer.check_state = Answer.Check.APPROVED if name == "approve_answer" else Answer.Check.RETURNED
        answer.checked_by, answer.checked_at, answer.check_note = past.actor, at, reason
        row.refs.append((data, "answer", answer))
    elif name == "publish_answer":
        if row.final is None:
            raise _Refused("у обращения нет подготовленного ответа.")
        row.final.published_at = a.published_at = at
        row.published = row.final
        row.refs.append((data, "answer", row.final))
    elif name == "deliver_problem_answer":
        lead = row.lead.appeal if isinstance(row.lead, _Row) else row.lead
        a.published_at = at
        a.answered_at = (lead.answered_at if lead is not None else None) or at
        lead_answer = row.lead.published if isinstance(row.lead, _Row) else None
        data = {"lead": lead.number if lead is not None else None}
        if lead_answer is not None:
            row.refs.append((data, "answer", lead_answer))
            row.published = lead_answer
        if lead is not None:
            row.refs.append((data, "lead", lead))
    elif name in ("rate_satisfied", "reopen"):
        _rate(row, past, name)
        label, reason = RESIDENT_LABEL, reason[:500]
        data = {"score": past.score}
        row.refs.append((data, "rating", row.ratings[-1]))
    elif name == "auto_close":
        a.close_reason, a.closed_at = CloseReason.AUTO, at
        reason = reason or f"Нет оценки жителя {settings.TSUR_AUTO_CLOSE_DAYS} дн. после публикации ответа"
    elif name == "confirm_resolution":
        if not reason:
            raise _Refused("укажите объективный источник подтверждения.")
        a.close_reason, a.closed_at = CloseReason.CONFIRMED, at
    elif name == "reject":
        if past.rejection not in RejectionReason.values:
            raise _Refused("выберите причину отклонения.")
        if past.rejection == RejectionReason.OTHER and not reason:
            raise _Refused("опишите причину отклонения «Иное».")
        a.rejection_reason, a.rejection_note, a.closed_at = past.rejection, reason, at
        reason = f"{RejectionReason(past.rejection).label}. {reason}".strip()
    elif name == "join_problem":
        data = _join(row, past, in_batch, keys, ref)
        reason = reason or f"То же, что обращение {data['lead']}"
    elif name == "change_urgency":
        if past.urgency not in Urgency.values or not reason:
            raise _Refused("срочность: допустимы high и normal, причина обязательна.")
        data = {"before": a.urgency, "after": past.urgency}
        a.urgency, a.urgency_reason = past.urgency, reason[:300]
    step(a, name)
    if transition.clock == RESTART:
        a.escalation_level, a.reminded_at = 0, None
        apply_deadlines(a, start=at, rules=ref.rules)
        data["due_at"] = a.due_at.isoformat() if a.due_at else None
    elif transition.clock == RECOMPUTE:
        apply_deadlines(a, rules=ref.rules)
        data["due_at"] = a.due_at.isoformat() if a.due_at else None
    row.events.append(
        Event(
            appeal=a, kind=name, actor=past.actor, actor_label=label, at=at, from_status=from_status, to_status=a.status,
            reason=reason, data=data,
        )
    )


def _organisation(ref: _Reference, code: str) -> Organisation:
    org = ref.organisations.get(code)
    if org is None:
        raise _Refused(f"организация {code!r} не найдена.")
    return org


def _answer(row: _Row, past: PastStep, kind: str, ref: _Reference) -> Answer:
    text = (past.text or "").strip()
    if not text:
        raise _Refused("текст ответа не может быть пустым.")
    a = row.appeal
    answer = Answer(
        appeal=a, kind=kind, text=text, author=past.actor, created_at=past.at,
        organisation_name=a.organisation.name if a.organisation_id else "",
    )
    row.answers.append(answer)
    return answer


def _rate(row: _Row, past: PastStep, name: str) -> None:
    a = row.appeal
    score = past.score
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise _Refused("оценка — целое число от 1 до 5.")
    satisfied = score > settings.TSUR_REOPEN_MAX_SCORE
    if satisfied != (name == "rate_satisfied"):
        raise _Refused(f"оценка {score} ведёт к шагу «{'rate_satisfied' if satisfied else 'reopen'}».")
    if a.status == Status.CLOSED and a.close_reason != CloseReason.AUTO:
        raise _Refused("обращение уже закрыто, оценка принята ранее.")
    if row.lead is not None:
        raise _Refused("присоединённое обращение оценивается вместе с проблемой: импорт этого не поддерживает.")
    row.ratings.append(Rating(appeal=a, answer=row.published, score=score, comment=past.reason.strip()[:2000], created_at=past.at))
    if satisfied:
        a.close_reason, a.closed_at = CloseReason.SATISFIED, past.at
    else:
        a.close_reason, a.closed_at = "", None
        a.reopened_count += 1


def _join(row: _Row, past: PastStep, in_batch: dict[str, _Row], keys: dict[str, Appeal], ref: _Reference) -> dict:
    """join_problem: the lead is an earlier item (this batch or an earlier one of the call) or a
    stored appeal by number; it must be open at the moment of the join."""
    a = row.appeal
    lead_row = in_batch.get(past.lead)
    lead: _Row | Appeal | None = lead_row
    if lead_row is not None:
        status = _status_at(lead_row.events, past.at)
        lead_appeal = lead_row.appeal
    else:
        stored = keys.get(past.lead) or Appeal.objects.filter(number=past.lead).first()
        if stored is None:
            raise _Refused(f"ведущее обращение {past.lead!r} не найдено.")
        if stored.problem_id and stored.problem.lead_id != stored.pk:
            stored = stored.problem.lead
        lead, lead_appeal = stored, stored
        last = Event.objects.filter(appeal=stored, at__lte=past.at).order_by("-at", "-pk").first()
        status = last.to_status if last is not None else None
    if status not in ANY_OPEN:
        raise _Refused(f"проблема по обращению {past.lead} к этому моменту не открыта: присоединять к ней нельзя.")
    row.lead, row.joined_at = lead, past.at
    a.organisation = lead_appeal.organisation
    a.executor = None
    data: dict = {"lead": lead_appeal.number or past.lead}
    row.refs.append((data, "lead", lead_appeal))
    row.join_data = data
    if id(lead_appeal) not in ref.leading and lead_appeal.problem_id is None:
        # The lead now heads a problem: its version moves and its log says so (as join_to_problem).
        ref.leading.add(id(lead_appeal))
        lead_appeal.version += 1
        row.led_data = {}
        row.events.append(
            Event(
                appeal=lead_appeal, kind=PROBLEM_LED_EVENT, actor=past.actor, actor_label=ref.label(past.actor), at=past.at,
                from_status=status, to_status=status, reason="К обращению присоединено похожее", data=row.led_data,
            )
        )
    return data


def _status_at(events: list[Event], moment: dt.datetime) -> str | None:
    status = None
    for event in events:
        if event.at <= moment and event.kind != PROBLEM_LED_EVENT:
            status = event.to_status
    return status
