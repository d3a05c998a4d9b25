"""A past appeal's story in memory: the appeal as creation leaves it, then each step with the
service's own rules, the lifecycle's check (`step`) and its clock effect, and the rows it adds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from tsur.answers.history.reference import Reference
from tsur.answers.models import Answer
from tsur.appeals import channels
from tsur.appeals.lifecycle import ANY_OPEN, RECOMPUTE, RESTART, TRANSITIONS
from tsur.appeals.models import Appeal, ClassificationSource, CloseReason, Event, RejectionReason, Status
from tsur.appeals.privacy import masked
from tsur.appeals.services.creation import CATEGORY_DEFAULT_URGENCY, regime_for
from tsur.appeals.services.problems import PROBLEM_LED_EVENT
from tsur.appeals.services.transitions import step
from tsur.core.errors import DomainError
from tsur.deadlines.services import apply_deadlines
from tsur.directory.models import Organisation, Urgency
from tsur.lib.safetext import clean_text

RESIDENT_LABEL = "житель"
LEADS = "_history_leads_problem"  # marks an appeal this import made the lead of a problem
# The transitions a history story may take (the package's docstring names those left out).
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
    event's reason (the note of a returned answer, the source of a confirmation, a rating's comment).
    What the step needs, by name: `organisation` (code; route: empty = the routing rules decide;
    transfer: required), `executor` (assign: a user of the appeal's organisation), `text` (the
    answer of interim_answer / prepare_answer), `score` (rate_satisfied / reopen, 1-5),
    `lead` (join_problem: the key of an earlier item of the same batch or the one before, or a
    stored appeal's number), `rejection` (reject: a RejectionReason code), `urgency` (change_urgency)."""

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
    later item join it (`PastStep.lead`)."""

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


class Refused(Exception):
    """A story the lifecycle or a service's rule refuses (the message in Russian, without the item)."""


@dataclass(slots=True)
class EventRow:
    appeal: Appeal
    kind: str
    actor_id: int | None
    actor_label: str
    at: dt.datetime
    from_status: str
    to_status: str
    reason: str
    data: dict


@dataclass(slots=True)
class AnswerRow:
    appeal: Appeal
    kind: str
    text: str
    author_id: int | None
    organisation_name: str
    created_at: dt.datetime
    check_state: str = Answer.Check.PENDING
    checked_by_id: int | None = None
    checked_at: dt.datetime | None = None
    check_note: str = ""
    formal_findings: list = field(default_factory=list)
    published_at: dt.datetime | None = None
    pk: int | None = None


@dataclass(slots=True)
class RatingRow:
    appeal: Appeal
    answer: AnswerRow | None
    score: int
    comment: str
    created_at: dt.datetime
    pk: int | None = None


@dataclass
class Story:
    """An appeal being built, with the rows its story adds."""

    item: PastAppeal
    appeal: Appeal
    events: list[EventRow] = field(default_factory=list)
    answers: list[AnswerRow] = field(default_factory=list)
    ratings: list[RatingRow] = field(default_factory=list)
    # Event data to complete once the rows they name have ids: (data, key, row).
    refs: list[tuple[dict, str, object]] = field(default_factory=list)
    final: AnswerRow | None = None  # the current final answer
    published: AnswerRow | None = None  # the last published final answer (what a rating rates)
    lead: Story | Appeal | None = None
    joined_at: dt.datetime | None = None
    join_data: dict | None = None  # the join event's data, and the lead's "problem_led" event's
    led_data: dict | None = None
    deadlines_due: bool = False  # creation's due dates not computed yet

    @property
    def lead_appeal(self) -> Appeal | None:
        return self.lead.appeal if isinstance(self.lead, Story) else self.lead


def _id(user) -> int | None:
    return user.pk if user is not None else None


def build(item: PastAppeal, ref: Reference, in_batch: dict[str, Story], previous: dict[str, Appeal]) -> Story:
    """The appeal as creation leaves it, then each step of its story applied in memory."""
    received = item.received_at
    if received is None or timezone.is_naive(received):
        raise Refused("момент поступления должен быть указан с часовым поясом.")
    text = clean_text((item.text or "").strip())
    if not text:
        raise Refused("пустой текст обращения.")
    if item.channel not in channels.known():
        raise Refused(f"неизвестный канал {item.channel!r}.")
    category = ref.categories.get(item.category_code) if item.category_code else None
    if item.category_code and category is None:
        raise Refused(f"категории {item.category_code!r} нет в классификаторе.")
    territory = ref.territories.get(item.territory_code) if item.territory_code else None
    if item.territory_code and territory is None:
        raise Refused(f"территории {item.territory_code!r} нет в справочнике.")
    if (item.lat is None) != (item.lon is None):
        raise Refused("укажите обе координаты точки: широту и долготу.")
    if item.lat is not None and not (-90 <= item.lat <= 90 and -180 <= item.lon <= 180):
        raise Refused("координаты вне допустимого диапазона.")
    if territory is None and item.lat is not None and item.lon is not None:
        territory = ref.territory_at(item.lat, item.lon)
    address = clean_text(item.address.strip())[:300]
    appeal = ref.new_appeal(
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
        queue=ref.routing.queue(territory, category),
        received_at=received,
        created_at=received,
        status=Status.RECEIVED,
    )
    # Creation's due dates are computed when the story needs them: the first step that recomputes
    # them (routing, nearly always) would overwrite every one of them with the same inputs but the
    # organisation's calendar, so computing them here too would be done for nothing.
    story = Story(item=item, appeal=appeal, deadlines_due=True)
    story.events.append(
        EventRow(
            appeal, "created", None, RESIDENT_LABEL, received, "", Status.RECEIVED, "",
            {"channel": appeal.channel, "regime": appeal.regime, "photos": 0},
        )
    )
    last = received
    for n, past in enumerate(item.steps, start=1):
        where = f"шаг {n} «{past.name}»"
        if past.name not in SUPPORTED:
            raise Refused(f"{where}: такой шаг импорт истории не поддерживает.")
        if past.at is None or timezone.is_naive(past.at):
            raise Refused(f"{where}: момент должен быть указан с часовым поясом.")
        if past.at < last:
            raise Refused(f"{where}: момент {past.at.isoformat()} раньше предыдущего ({last.isoformat()}).")
        try:
            _apply(story, past, ref, in_batch, previous)
        except (Refused, DomainError) as exc:
            message = exc.message if isinstance(exc, DomainError) else str(exc)
            raise Refused(f"{where}: {message}") from exc
        last = past.at
    if story.deadlines_due:
        apply_deadlines(appeal, rules=ref.rules)
    return story


def _apply(story: Story, past: PastStep, ref: Reference, in_batch: dict[str, Story], previous: dict[str, Appeal]) -> None:
    """One step: the service's rule and field changes, the lifecycle's check (`step`) and clock
    effect, and the event."""
    a, at, name = story.appeal, past.at, past.name
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
            decision = ref.routing.decide(a.category, a.territory)
            a.organisation = decision.organisation
            a.routing_reason = decision.reason
            data = {"organisation": decision.organisation.code, "rule": decision.rule_id, "manual": False}
        a.registered_at = a.registered_at or at
        a.routed_at = at
        a.executor = None
        comment, reason = reason.strip(), a.routing_reason
        if not past.organisation and comment:  # as route_appeal: the operator's comment goes with the event
            reason = f"{a.routing_reason.rstrip('. ')}. Комментарий оператора: {comment}"
            data["commented"] = True
    elif name == "transfer":
        if not reason:
            raise Refused("укажите причину переадресации.")
        org = _organisation(ref, past.organisation)
        if a.organisation_id == org.pk:
            raise Refused("обращение уже находится в этой организации.")
        data = {"from": a.organisation.code if a.organisation_id else None, "to": org.code}
        a.organisation, a.executor, a.routed_at = org, None, at
        a.routing_reason = f"Переадресовано: {reason}"
        a.escalation_level, a.reminded_at = 0, None
    elif name == "return_to_moderation":
        if not reason:
            raise Refused("укажите, почему обращение не относится к организации.")
        data = {"from": a.organisation.code if a.organisation_id else None}
        a.organisation = a.executor = None
    elif name == "assign":
        user = past.executor
        m = ref.membership(user) if user is not None else None
        if m is None or m.role not in ("executor", "coordinator") or m.organisation_id != a.organisation_id:
            raise Refused("исполнитель должен быть сотрудником организации, в которой находится обращение.")
        data = {"executor": user.pk}
        reason = f"Исполнитель: {ref.label(user)}"
        a.executor = user
    elif name == "accept":
        if a.executor_id is None and past.actor is not None and ref.role(past.actor) == "executor":
            a.executor = past.actor
    elif name == "interim_answer":
        answer = _answer(story, past, Answer.Kind.INTERIM)
        answer.check_state, answer.published_at = Answer.Check.NOT_REQUIRED, at
        a.interim_answered_at = at
        story.refs.append((data, "answer", answer))
    elif name == "prepare_answer":
        answer = _answer(story, past, Answer.Kind.FINAL)
        answer.formal_findings = ref.findings(answer.text)
        story.final = answer
        a.answered_at = at
        data = {"formal_findings": len(answer.formal_findings)}
        story.refs.append((data, "answer", answer))
    elif name in ("approve_answer", "return_answer"):
        if story.final is None:
            raise Refused("у обращения нет подготовленного ответа.")
        if name == "return_answer" and not reason:
            raise Refused("напишите, что исправить в ответе.")
        answer = story.final
        # A past approval of a flagged answer is a fact of the record even without a reason (the
        # rule asking for one is newer than the history); the event counts the findings overruled.
        if name == "approve_answer" and answer.formal_findings:
            data["overruled_findings"] = len(answer.formal_findings)
        answer.check_state = Answer.Check.APPROVED if name == "approve_answer" else Answer.Check.RETURNED
        answer.checked_by_id, answer.checked_at, answer.check_note = _id(past.actor), at, reason
        story.refs.append((data, "answer", answer))
    elif name == "publish_answer":
        if story.final is None:
            raise Refused("у обращения нет подготовленного ответа.")
        story.final.published_at = a.published_at = at
        story.published = story.final
        story.refs.append((data, "answer", story.final))
    elif name == "deliver_problem_answer":
        _deliver(story, at, data)
    elif name in ("rate_satisfied", "reopen"):
        _rate(story, past, name)
        label, reason = RESIDENT_LABEL, reason[:500]
        data = {"score": past.score}
        story.refs.append((data, "rating", story.ratings[-1]))
    elif name == "auto_close":
        a.close_reason, a.closed_at = CloseReason.AUTO, at
        reason = reason or f"Нет оценки жителя {settings.TSUR_AUTO_CLOSE_DAYS} дн. после публикации ответа"
    elif name == "confirm_resolution":
        if not reason:
            raise Refused("укажите объективный источник подтверждения.")
        a.close_reason, a.closed_at = CloseReason.CONFIRMED, at
    elif name == "reject":
        if past.rejection not in RejectionReason.values:
            raise Refused("выберите причину отклонения.")
        if past.rejection == RejectionReason.OTHER and not reason:
            raise Refused("опишите причину отклонения «Иное».")
        a.rejection_reason, a.rejection_note, a.closed_at = past.rejection, reason, at
        reason = f"{RejectionReason(past.rejection).label}. {reason}".strip()
    elif name == "join_problem":
        data = _join(story, past, in_batch, previous, ref)
        reason = reason or f"То же, что обращение {data['lead']}"
    elif name == "change_urgency":
        if past.urgency not in Urgency.values or not reason:
            raise Refused("срочность: допустимы high и normal, причина обязательна.")
        data = {"before": a.urgency, "after": past.urgency}
        a.urgency, a.urgency_reason = past.urgency, reason[:300]
    step(a, name)
    if story.deadlines_due and transition.clock == RESTART:
        apply_deadlines(a, rules=ref.rules)  # creation's (a restart keeps its registration dates)
    if transition.clock in (RECOMPUTE, RESTART):
        story.deadlines_due = False
    if transition.clock == RESTART:
        a.escalation_level, a.reminded_at = 0, None
        apply_deadlines(a, start=at, rules=ref.rules)
        data["due_at"] = a.due_at.isoformat() if a.due_at else None
    elif transition.clock == RECOMPUTE:
        apply_deadlines(a, rules=ref.rules)
        data["due_at"] = a.due_at.isoformat() if a.due_at else None
    story.events.append(EventRow(a, name, _id(past.actor), label, at, from_status, a.status, reason, data))


def _organisation(ref: Reference, code: str) -> Organisation:
    org = ref.organisations.get(code)
    if org is None:
        raise Refused(f"организация {code!r} не найдена.")
    return org


def _answer(story: Story, past: PastStep, kind: str) -> AnswerRow:
    text = (past.text or "").strip()
    if not text:
        raise Refused("текст ответа не может быть пустым.")
    a = story.appeal
    answer = AnswerRow(a, kind, text, _id(past.actor), a.organisation.name if a.organisation_id else "", past.at)
    story.answers.append(answer)
    return answer


def _deliver(story: Story, at: dt.datetime, data: dict) -> None:
    """The lead's answer reaches a joined appeal (publish_answer does it for every member)."""
    lead = story.lead_appeal
    a = story.appeal
    a.published_at = at
    lead_answer = story.lead.published if isinstance(story.lead, Story) else None
    a.answered_at = lead_answer.created_at if lead_answer is not None else ((lead.answered_at if lead is not None else None) or at)
    if lead_answer is not None:
        story.refs.append((data, "answer", lead_answer))
        story.published = lead_answer
    if lead is not None:
        story.refs.append((data, "lead", lead))


def _rate(story: Story, past: PastStep, name: str) -> None:
    a = story.appeal
    score = past.score
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise Refused("оценка — целое число от 1 до 5.")
    satisfied = score > settings.TSUR_REOPEN_MAX_SCORE
    if satisfied != (name == "rate_satisfied"):
        raise Refused(f"оценка {score} ведёт к шагу «{'rate_satisfied' if satisfied else 'reopen'}».")
    if a.status == Status.CLOSED and a.close_reason != CloseReason.AUTO:
        raise Refused("обращение уже закрыто, оценка принята ранее.")
    if story.lead is not None:
        raise Refused("присоединённое обращение оценивается вместе с проблемой: импорт этого не поддерживает.")
    story.ratings.append(RatingRow(a, story.published, score, past.reason.strip()[:2000], past.at))
    if satisfied:
        a.close_reason, a.closed_at = CloseReason.SATISFIED, past.at
    else:
        a.close_reason, a.closed_at = "", None
        a.reopened_count += 1


def _join(story: Story, past: PastStep, in_batch: dict[str, Story], previous: dict[str, Appeal], ref: Reference) -> dict:
    """join_problem: the lead is an earlier item (this batch or the one before) or a stored appeal
    by number; it must be open at the moment of the join."""
    a = story.appeal
    lead_story = in_batch.get(past.lead)
    lead: Story | Appeal
    if lead_story is not None:
        status = _status_at(lead_story.events, past.at)
        lead, lead_appeal = lead_story, lead_story.appeal
    else:
        stored = previous.get(past.lead) or Appeal.objects.filter(number=past.lead).first()
        if stored is None:
            raise Refused(f"ведущее обращение {past.lead!r} не найдено.")
        if stored.problem_id and stored.problem.lead_id != stored.pk:
            stored = stored.problem.lead
        lead, lead_appeal = stored, stored
        last = Event.objects.filter(appeal_id=stored.pk, at__lte=past.at).exclude(kind=PROBLEM_LED_EVENT).order_by("-at", "-pk").first()
        status = last.to_status if last is not None else None
    if status not in ANY_OPEN:
        raise Refused(f"проблема по обращению {past.lead} к этому моменту не открыта: присоединять к ней нельзя.")
    story.lead, story.joined_at = lead, past.at
    a.organisation = lead_appeal.organisation
    a.executor = None
    data: dict = {"lead": lead_appeal.number or past.lead}
    story.refs.append((data, "lead", lead_appeal))
    story.join_data = data
    if not getattr(lead_appeal, LEADS, False) and lead_appeal.problem_id is None:
        # The lead now heads a problem: its version moves and its log says so (as join_to_problem).
        setattr(lead_appeal, LEADS, True)
        lead_appeal.version += 1
        story.led_data = {}
        story.events.append(
            EventRow(lead_appeal, PROBLEM_LED_EVENT, _id(past.actor), ref.label(past.actor), past.at, status, status,
                     "К обращению присоединено похожее", story.led_data)
        )
    return data


def _status_at(events: list[EventRow], moment: dt.datetime) -> str | None:
    status = None
    for event in events:
        if event.at <= moment and event.kind != PROBLEM_LED_EVENT:
            status = event.to_status
    return status
