"""Workflow signals: every hand-over of an appeal becomes a signal to whoever takes it over.

Made from the appeal's event log, after commit: `appeal_changed` (transitions) and `appeal_noted`
(a resident's message, an internal note) deliver the events, `make_signals` turns each into its
signals. The event row, written in the same transaction as the change, is the record of the work:
a signal lost with a crashed process is made by the sweeper (`tasks.signals_swept`) from the
events that have none. One signal per (event, addressee), by a unique constraint, so the
subscriber and the sweeper racing make it once.

Texts name the appeal by number and staff or organisations by name, never the resident.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Exists, F, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from tsur.appeals.models import Appeal, Event, Status
from tsur.appeals.services.notes import NOTE_EVENT
from tsur.appeals.services.transitions import actor_label
from tsur.core import clock, tasks
from tsur.deadlines.models import StaffAlert
from tsur.directory.models import Organisation
from tsur.escalation import mail

K = StaffAlert.Kind

# Event kind -> signal kind. Kinds not listed hand nothing over.
SIGNAL_OF: dict[str, str] = {
    "route": K.ROUTED,
    "transfer": K.ROUTED,
    "return_to_moderation": K.RETURNED_TO_CENTER,
    "assign": K.ASSIGNED,
    "return_answer": K.ANSWER_RETURNED,
    "request_extension": K.EXTENSION_REQUESTED,
    "prepare_answer": K.ANSWER_TO_CHECK,
    "reopen": K.REOPENED,
    "resident_message": K.RESIDENT_MESSAGE,
    NOTE_EVENT: K.MENTION,
}

# A hand-over older than this makes no signal: a day late it is noise (the appeal has moved on), and
# a replayed or loaded history (tsur.replay, the demo) must not flood everyone's «Сигналы» with
# the past. Also bounds the sweeper's look into the log.
FRESH_FOR = dt.timedelta(days=1)


@dataclass(frozen=True)
class To:
    """An addressee: a user, an organisation (its coordinators) or, with neither, the center."""

    user_id: int | None = None
    organisation_id: int | None = None

    @property
    def key(self) -> str:
        if self.user_id:
            return f"user:{self.user_id}"
        if self.organisation_id:
            return f"org:{self.organisation_id}"
        return "center"


CENTER = To()


def addressees(event: Event, appeal: Appeal) -> list[To]:
    """Who takes the appeal over with this event (never the one who acted)."""
    kind, data = event.kind, event.data or {}
    org_id = appeal.organisation_id
    if kind == "route":
        found = _organisation(data.get("organisation"))
        return [To(organisation_id=found or org_id)] if (found or org_id) else []
    if kind == "transfer":
        found = _organisation(data.get("to"))
        return [To(organisation_id=found or org_id)] if (found or org_id) else []
    if kind == "assign":
        executor = data.get("executor") or appeal.executor_id
        return [To(user_id=executor)] if executor and executor != event.actor_id else []
    if kind in ("return_answer", "resident_message"):
        if appeal.executor_id and appeal.executor_id != event.actor_id:
            return [To(user_id=appeal.executor_id)]
        if org_id:
            return [To(organisation_id=org_id)]
        return [CENTER] if kind == "resident_message" else []
    if kind == "prepare_answer":
        # Where answers go out unchecked (TSUR_ANSWER_CHECK_REQUIRED off) nothing waits for the
        # center; and an answer checked by now (the sweeper comes late) waits no more.
        waiting = settings.TSUR_ANSWER_CHECK_REQUIRED and appeal.status == Status.ANSWER_PREPARED
        return [CENTER] if waiting else []
    if kind in ("return_to_moderation", "request_extension"):
        return [CENTER]
    if kind == "reopen":
        return ([To(organisation_id=org_id)] if org_id else []) + [CENTER]
    if kind == NOTE_EVENT:
        return [To(user_id=pk) for pk in data.get("mentioned", []) if pk != event.actor_id]
    return []


def text_of(event: Event, appeal: Appeal, to: To, organisation_names: dict[int, str]) -> str:
    n, kind = appeal.number, event.kind
    if kind in ("route", "transfer"):
        where = organisation_names.get(to.organisation_id or 0, "")
        verb = "направлено" if kind == "route" else "переадресовано"
        return f"Обращение {n} {verb} в «{where}»" if where else f"Обращение {n} {verb} в организацию"
    if kind == "return_to_moderation":
        return f"Организация вернула обращение {n} в ЦУР: нужно направить его заново"
    if kind == "assign":
        return f"Вам назначено обращение {n}"
    if kind == "return_answer":
        return f"Ответ по обращению {n} возвращён на доработку"
    if kind == "request_extension":
        return f"По обращению {n} запрошено продление срока: нужно решение ЦУР"
    if kind == "prepare_answer":
        return f"Ответ по обращению {n} подготовлен и ждёт проверки ЦУР"
    if kind == "reopen":
        return f"Житель не удовлетворён ответом: обращение {n} возобновлено"
    if kind == "resident_message":
        if (event.data or {}).get("clarification"):
            return f"Житель ответил на уточнение по обращению {n}"
        return f"Житель написал по обращению {n}"
    if kind == NOTE_EVENT:
        return f"{actor_label(event.actor)} упоминает вас в заметке к обращению {n}"
    return f"Обращение {n}"


def _organisation(code: object) -> int | None:
    if not isinstance(code, str) or not code:
        return None
    return Organisation.objects.filter(code=code).values_list("pk", flat=True).first()


def make_signals(event_ids: Iterable[int]) -> int:
    """The signals of these events (those of other kinds are ignored). Idempotent: a signal that
    exists already is kept as it is. Returns how many signals the events have."""
    fresh = clock.now() - FRESH_FOR
    events = list(Event.objects.filter(pk__in=set(event_ids), kind__in=SIGNAL_OF, at__gte=fresh).select_related("appeal", "actor").order_by("pk"))
    if not events:
        return 0
    planned: list[tuple[Event, To]] = [(e, to) for e in events for to in addressees(e, e.appeal)]
    org_ids = {to.organisation_id for _e, to in planned if to.organisation_id}
    names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("pk", "short_name")) if org_ids else {}
    rows = [
        StaffAlert(
            appeal=e.appeal,
            kind=SIGNAL_OF[e.kind],
            user_id=to.user_id,
            organisation_id=None if to.user_id else to.organisation_id,
            event=e,
            addressee=to.key,
            text=text_of(e, e.appeal, to, names)[:300],
        )
        for e, to in planned
    ]
    with transaction.atomic():
        StaffAlert.objects.bulk_create(rows, ignore_conflicts=True)
        alerts = list(StaffAlert.objects.filter(event__in=events))
        email_ids = mail.record_emails(alerts)
    if email_ids:
        transaction.on_commit(lambda: tasks.enqueue_ids("send_signal_emails", email_ids))
    return len(alerts)


def unsignalled_events(now: dt.datetime, lost_after: dt.timedelta, limit: int) -> list[int]:
    """Events of the hand-over kinds, old enough to have been handled and young enough to matter,
    that have no signal: what a lost subscriber call left behind. The kinds that may rightly have
    no addressee are left out by their data — a note without mentions, an executor who took the
    appeal themselves, an answer no longer waiting for the check — or they would be swept again at every tick and crowd out the lost ones."""
    has_signal = Exists(StaffAlert.objects.filter(event=OuterRef("pk")))
    qs = (
        Event.objects.filter(kind__in=SIGNAL_OF, at__gte=now - FRESH_FOR, at__lt=now - lost_after)
        .exclude(has_signal)
        .exclude(Q(kind=NOTE_EVENT) & ~Q(data__has_key="mentioned"))
        .annotate(executor_key=KeyTextTransform("executor", "data"), actor_key=Cast("actor_id", CharField()))
        .exclude(Q(kind="assign") & Q(executor_key=F("actor_key")))
        .exclude(Q(kind="prepare_answer") & ~Q(appeal__status=Status.ANSWER_PREPARED))
        .order_by("pk")
    )
    return list(qs.values_list("pk", flat=True)[:limit])
