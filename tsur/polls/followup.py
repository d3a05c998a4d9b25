"""The follow-up after a fix: «Проблема действительно решена?».

When an appeal is resolved (closed: rated satisfied, closed automatically after the answer,
confirmed by an operator or by objective monitoring) or a point of tension it is part of
resolves, the resident who wrote it gets an invitation to a short poll (yes / partly / no and an
optional comment) — one poll per subject (the appeal, its problem, the point), one invitation per
appeal — delivered as a notification through the appeal's own path (a channel that carries the
kind, else e-mail). Where configured, the poll is also open to everyone in the appeal's territory.

The work is recorded first (`FollowUp` rows, in the transaction of the subscriber), sent by a
background task that claims each row, and re-sent by a sweeper if a message was lost
(tsur.polls.followup_tasks). No spam: one follow-up per appeal and resolution (a unique row), none
for rejected appeals, none when nothing can reach the resident (the notification path decides,
in a savepoint that leaves nothing behind). A «нет» from the appeal's own resident reopens the
appeal through the lifecycle's door (`reopen`, `reopen_member` for a problem's member, its lead
too), audited in the appeal's log; every answer counts in the organisations' KPIs
(tsur.analytics.kpi: «подтверждено жителями после решения»).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from tsur.appeals.events import AppealChange
from tsur.appeals.models import Appeal, Event, Notification, Status
from tsur.appeals.services import changing, notify_residents
from tsur.core import clock
from tsur.core.tasks import LOST_AFTER, enqueue_ids
from tsur.lib.pdmask import mask_personal_data
from tsur.polls.models import (
    Answer,
    Audience,
    Ballot,
    FollowUp,
    FollowUpPoll,
    Kind,
    Poll,
    PollEvent,
    QuestionKind,
    Verification,
)
from tsur.polls.models import (
    Status as PollStatus,
)
from tsur.polls.services import create_invitation, create_poll, publish_poll, save_question
from tsur.polls.services.audit import record as audit
from tsur.polls.services.identity import Identity, IdentityKind, voter_key

log = logging.getLogger(__name__)

TITLE = "Проблема действительно решена?"
ANSWERS = ("Да, решена", "Частично", "Нет, не решена")  # in this order: yes, partly, no
OUTCOME_BY_ORDER = {1: FollowUp.Outcome.YES, 2: FollowUp.Outcome.PARTLY, 3: FollowUp.Outcome.NO}
COMMENT = "Комментарий (необязательно)"
NOTIFICATION_KIND = "followup_poll"
SEND_TASK = "polls_followup_send"
ANSWERED = frozenset({Status.PUBLISHED, Status.CLOSED})
# The transitions that resolve an appeal, and why (transitions added later count only if listed).
RESOLVING = {
    "rate_satisfied": FollowUp.Source.APPEAL,
    "auto_close": FollowUp.Source.APPEAL,
    "confirm_resolution": FollowUp.Source.APPEAL,
    "close_objective": FollowUp.Source.OBJECTIVE,
}
# A channel's note that it delivers a notification in the resident's thread (appeals.services.notifications).
CARRIED_NOTE = "доставляется через канал"


def enabled() -> bool:
    return bool(getattr(settings, "TSUR_POLLS_FOLLOWUP_ENABLED", True))


def area_wide() -> bool:
    """Also open the follow-up poll to everyone in the appeal's territory (a regional choice)."""
    return bool(getattr(settings, "TSUR_POLLS_FOLLOWUP_AREA", False))


def days_open() -> int:
    return int(getattr(settings, "TSUR_POLLS_FOLLOWUP_DAYS", 14))


def reopens() -> bool:
    return bool(getattr(settings, "TSUR_POLLS_FOLLOWUP_REOPENS", True))


# --- recording ----------------------------------------------------------------------------------


def max_age() -> dt.timedelta:
    """A resolution older than this asks nobody: a replay of a region's history or a late rebuild
    publishes old closures, and a resident is not asked about a fix of years ago."""
    return dt.timedelta(days=int(getattr(settings, "TSUR_POLLS_FOLLOWUP_MAX_AGE_DAYS", 7)))


def on_appeals_changed(changes: list[AppealChange]) -> None:
    """Subscriber of appeal_changed: a recent resolving transition records the appeal's follow-up."""
    resolving = {c.event_id: c for c in changes if c.kind in RESOLVING and c.to_status == Status.CLOSED}
    if not resolving or not enabled():
        return
    recent = Event.objects.filter(pk__in=list(resolving), at__gte=clock.now() - max_age()).values_list("pk", flat=True)
    sources = {resolving[pk].appeal_id: RESOLVING[resolving[pk].kind] for pk in recent}
    if sources:
        record(sources)


def point_resolved(appeal_ids: Iterable[int], label: str, point_id: int | None = None) -> list[int]:
    """Called by tension when a point of tension resolves: the residents whose appeals in it have
    an answer are asked (those still in work are asked when their own appeal is resolved)."""
    return record(dict.fromkeys(appeal_ids, FollowUp.Source.TENSION), label=label, point_id=point_id)


def record(sources: dict[int, str], *, label: str = "", point_id: int | None = None) -> list[int]:
    """Record the follow-ups of these appeals (appeal id → source) and enqueue their sending after
    commit; an appeal asked already for this resolution is left alone. Returns the new rows' ids."""
    if not enabled() or not sources:
        return []
    appeals = (
        Appeal.objects.filter(pk__in=list(sources), status__in=ANSWERED)
        .exclude(resident=None)
        .filter(_reachable())
        .values_list("pk", "reopened_count")
    )
    rows = [FollowUp(appeal_id=pk, round=round_, source=sources[pk], subject_label=label[:300], tension_point_id=point_id) for pk, round_ in appeals]
    if not rows:
        return []
    with transaction.atomic():
        FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
        keys = Q()
        for r in rows:
            keys |= Q(appeal_id=r.appeal_id, round=r.round)
        ids = list(FollowUp.objects.filter(keys, state=FollowUp.State.PENDING, claimed_at=None).values_list("pk", flat=True))
        if ids:
            transaction.on_commit(lambda: enqueue_ids(SEND_TASK, ids))
    return ids


def _reachable() -> Q:
    """Appeals whose resident a follow-up can reach: by e-mail, or — where channels are configured
    to carry the invitation (TSUR_CHANNEL_DELIVERED_KINDS) — any. The sending checks again through
    the notification path itself, which knows the channels."""
    if NOTIFICATION_KIND in getattr(settings, "TSUR_CHANNEL_DELIVERED_KINDS", ()):
        return Q()
    return ~Q(resident__email="")


# --- sending ------------------------------------------------------------------------------------


class _Unreachable(Exception):
    """Nothing carries the notification and the resident has no e-mail: undo the invitation."""


def claim(ids: Iterable[int], now: dt.datetime) -> list[int]:
    """Claim pending rows (a conditional update each: two workers never send one follow-up)."""
    got = []
    for pk in ids:
        free = Q(claimed_at=None) | Q(claimed_at__lt=now - LOST_AFTER)
        if FollowUp.objects.filter(free, pk=pk, state=FollowUp.State.PENDING).update(claimed_at=now):
            got.append(pk)
    return got


def send(ids: Iterable[int]) -> int:
    """Send the claimed follow-ups; returns how many invitations went out."""
    sent = 0
    for pk in claim(ids, clock.now()):
        try:
            sent += send_one(pk)
        except Exception:  # a failed row stays claimed and pending: the sweeper tries it again
            log.exception("follow-up %s could not be sent", pk)
    return sent


def _skip(f: FollowUp, reason: str) -> int:
    f.state, f.skip_reason = FollowUp.State.SKIPPED, reason
    f.save(update_fields=["state", "skip_reason"])
    return 0


@transaction.atomic
def send_one(pk: int) -> int:
    f = FollowUp.objects.select_for_update(of=("self",)).select_related("appeal", "appeal__resident").filter(pk=pk).first()
    if f is None or f.state != FollowUp.State.PENDING:
        return 0
    a = f.appeal
    if a.status == Status.REJECTED:
        return _skip(f, "обращение отклонено")
    if a.status not in ANSWERED:
        return _skip(f, "обращение снова в работе")
    if a.resident_id is None:
        return _skip(f, "у обращения нет автора, которому можно написать")
    try:
        with transaction.atomic():
            poll = poll_for(f, a)
            invitation, token = create_invitation(poll, a)
            link = f"{settings.SITE_URL}{reverse('intake:poll', args=[poll.token])}?i={token}"
            note = notify_residents([(a, f"{TITLE} Обращение {a.number}", _body(a, link))], NOTIFICATION_KIND)[0]
            state, why = Notification.objects.filter(pk=note.pk).values_list("state", "last_error").get()
            if state == Notification.State.SKIPPED and why != CARRIED_NOTE:
                raise _Unreachable
    except _Unreachable:
        return _skip(f, "нет адреса: житель не оставил e-mail, канал не доставляет приглашения")
    f.state, f.poll, f.invitation, f.sent_at = FollowUp.State.SENT, poll, invitation, clock.now()
    f.save(update_fields=["state", "poll", "invitation", "sent_at"])
    return 1


def _body(a: Appeal, link: str) -> str:
    return (
        f"Здравствуйте! По вашему обращению {a.number} работа завершена. Проблема действительно решена?\n\n"
        f"Ответьте, пожалуйста, по ссылке (один короткий вопрос: да, частично или нет): {link}\n\n"
        "Если проблема не решена, обращение будет возобновлено. Ссылка личная, не передавайте её другим."
    )


def _subject(f: FollowUp, a: Appeal) -> tuple[str, dict]:
    """The poll's subject key and fields: the point of tension, the appeal's problem, or the appeal."""
    if f.source == FollowUp.Source.TENSION and f.tension_point_id:
        return f"tension:{f.tension_point_id}", {"subject_tension_point_id": f.tension_point_id}
    if a.problem_id:
        lead_round = Appeal.objects.filter(led_problem=a.problem_id).values_list("reopened_count", flat=True).first() or 0
        return f"problem:{a.problem_id}:{lead_round}", {"subject_problem": a.problem}
    return f"appeal:{a.pk}:{f.round}", {"subject_appeal": a}


def _label(f: FollowUp, a: Appeal) -> str:
    if f.subject_label:
        return f.subject_label
    parts = [p for p in (a.category.name if a.category_id else "", a.territory.name if a.territory_id else "") if p]
    return " — ".join(parts) or f"обращение {a.number}"


def poll_for(f: FollowUp, a: Appeal) -> Poll:
    """The subject's follow-up poll, made and published on first use (shared by the subject's
    residents: the results of one problem are read together)."""
    key, subject = _subject(f, a)
    found = FollowUpPoll.objects.filter(subject_key=key).select_related("poll").first()
    if found is not None and found.poll.status == PollStatus.PUBLISHED:
        return found.poll
    if found is not None:  # closed (its days passed): this resolution gets a fresh poll
        key = f"{key}:{clock.now():%Y%m%d%H%M%S}"
    label = _label(f, a)
    area = area_wide() and a.territory_id is not None
    try:
        with transaction.atomic():
            poll = create_poll(
                None,
                title=TITLE,
                description=f"Проверка решения: {label}. Ответ займёт несколько секунд.",
                kind=Kind.FOLLOWUP,
                audience=Audience.EVERYONE if area else Audience.INVITED,
                verification=Verification.ACCOUNT_OR_CODE,
                ends_at=clock.now() + dt.timedelta(days=days_open()),
                subject_label=label[:300],
                territories=[a.territory_id] if area else None,
                **subject,
            )
            save_question(poll, None, kind=QuestionKind.SINGLE, text=TITLE, options=list(ANSWERS), required=True)
            save_question(poll, None, kind=QuestionKind.TEXT, text=COMMENT, required=False)
            publish_poll(poll, None)
            FollowUpPoll.objects.create(subject_key=key, poll=poll)
    except IntegrityError:
        # Another worker made the subject's poll meanwhile: use theirs (ours was rolled back).
        return FollowUpPoll.objects.select_related("poll").get(subject_key=key).poll
    return poll


# --- the residents' answers ---------------------------------------------------------------------


def invited_voter_key(f: FollowUp) -> str:
    """The ballot key of the resident an invitation proves — the rule of
    tsur.polls.services.invitations.invitation_identity (the appeal's resident; without one, the
    invitation itself). tests/polls/test_followup.py votes through that function to hold them together."""
    subject = f"resident:{f.appeal.resident_id}" if f.appeal.resident_id else f"invitation:{f.invitation_id}"
    return voter_key(f.poll, Identity(IdentityKind.INVITATION, subject))


def outcome_of(ballot: Ballot) -> tuple[str, str]:
    """(outcome, comment) of a follow-up ballot: the chosen answer by its place (yes, partly, no)."""
    outcome, comment = "", ""
    for ans in Answer.objects.filter(ballot=ballot).select_related("question", "option"):
        if ans.question.kind == QuestionKind.SINGLE and ans.option is not None:
            outcome = OUTCOME_BY_ORDER.get(ans.option.order, "")
        elif ans.question.kind == QuestionKind.TEXT:
            comment = ans.text
    return outcome, comment


def settle_answers(limit: int = 500) -> int:
    """Settle the sent follow-ups whose resident has voted (a periodic job: the vote is cast by the
    residents' pages, which know nothing of follow-ups). Returns how many were settled."""
    since = clock.now() - dt.timedelta(days=days_open() + 2)
    pending = (
        FollowUp.objects.filter(state=FollowUp.State.SENT, sent_at__gte=since, poll__isnull=False)
        .select_related("appeal", "poll")
        .order_by("sent_at")[:limit]
    )
    settled = 0
    for f in pending:
        ballot = Ballot.objects.filter(poll=f.poll, voter_key=invited_voter_key(f)).first()
        if ballot is not None:
            settled += settle(f.pk, ballot)
    return settled


def on_ballots_cast(ballot_ids: list[int]) -> None:
    """Settle at once the follow-ups whose invited resident has just voted (after the vote commits),
    so a «нет» reopens the appeal without waiting for the periodic settling."""
    ballots = list(Ballot.objects.filter(pk__in=ballot_ids, poll__kind=Kind.FOLLOWUP))
    if not ballots:
        return
    by_key = {(b.poll_id, b.voter_key): b for b in ballots}
    waiting = FollowUp.objects.filter(state=FollowUp.State.SENT, poll_id__in={b.poll_id for b in ballots}).select_related("appeal", "poll")
    for f in waiting:
        ballot = by_key.get((f.poll_id, invited_voter_key(f)))
        if ballot is not None:
            settle(f.pk, ballot)


@transaction.atomic
def settle(pk: int, ballot: Ballot) -> int:
    """Record the resident's answer; a «нет» reopens the appeal (and its problem's lead) through
    the lifecycle's door, where configured. Idempotent: a settled row is left alone."""
    f = FollowUp.objects.select_for_update(of=("self",)).select_related("appeal", "appeal__problem").get(pk=pk)
    if f.state != FollowUp.State.SENT:
        return 0
    outcome, comment = outcome_of(ballot)
    if not outcome:
        return 0
    f.state, f.outcome, f.answered_at = FollowUp.State.ANSWERED, outcome, ballot.cast_at
    if outcome == FollowUp.Outcome.NO and reopens():
        f.reopened = _reopen(f.appeal, comment)
    f.save(update_fields=["state", "outcome", "answered_at", "reopened"])
    audit(f.poll, PollEvent.Kind.FOLLOWUP_ANSWERED, None, followup=f.pk, outcome=outcome, reopened=f.reopened)
    return 1


def _reopen(a: Appeal, comment: str) -> bool:
    if a.status not in ANSWERED:
        return False  # reopened already (a rating, an objective check): nothing more to do
    reason = "Житель ответил в опросе после решения: проблема не решена."
    if comment.strip():
        reason += " Комментарий: " + mask_personal_data(comment.strip(), names=True)[:400]
    is_member = bool(a.problem_id and a.problem.lead_id != a.pk)
    with changing(a.pk, "reopen_member" if is_member else "reopen", None, label="житель (опрос после решения)") as ch:
        ch.appeal.close_reason = ""
        ch.appeal.closed_at = None
        ch.appeal.reopened_count += 1
        ch.reason = reason[:500]
        ch.data = {"followup": True}
    if is_member:
        lead = Appeal.objects.get(pk=a.problem.lead_id)
        if lead.status in ANSWERED:
            with changing(lead.pk, "reopen", None, label="житель (опрос после решения)") as lch:
                lch.appeal.close_reason = ""
                lch.appeal.closed_at = None
                lch.appeal.reopened_count += 1
                lch.reason = f"Автор обращения {a.number} ответил в опросе после решения: проблема не решена."
    return True
