"""The one door of every state change: `changing()` locks the appeal, checks access, the version
the user saw and the transition, and on exit writes the appeal and one event; the event is
published to subscribers after commit. Plus events that change no status (`log_event`) and the
audit of personal-data views."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction

from tsur.appeals import access
from tsur.appeals.events import AppealChange, appeal_changed
from tsur.appeals.lifecycle import KEEP, RESTART, TRANSITIONS, Transition
from tsur.appeals.models import (
    Appeal,
    Event,
    Status,
)
from tsur.core import clock
from tsur.core.errors import ConcurrentUpdate, NotFound, TransitionNotAllowed
from tsur.deadlines.services import apply_deadlines

SYSTEM = "система"


def actor_label(actor) -> str:
    """How the event log names who acted. Residents are never named: the log is kept for good,
    while their personal data is purged by the retention policy."""
    if actor is None:
        return SYSTEM
    if access.role_of(actor) == "resident":
        return "житель"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return full or actor.get_username()


@dataclass
class Change:
    """What a transition is writing: the locked appeal plus the event's reason and data."""

    appeal: Appeal
    from_status: str
    transition: Transition
    reason: str = ""
    data: dict = field(default_factory=dict)
    clock_moved: bool = False

    def move_clock(self) -> None:
        """Apply the transition's deadline effect now, for a body that needs the new due date (to
        tell the resident); otherwise `changing` applies it on exit."""
        _move_clock(self.appeal, self.transition, self.data)
        self.clock_moved = True


def _move_clock(appeal: Appeal, transition: Transition, data: dict) -> None:
    """What the transition does to the deadline (lifecycle: keep, recompute, restart), done here
    once for every service; the new due date goes into the event's data."""
    if transition.clock == KEEP:
        return
    if transition.clock == RESTART:
        # A reopened appeal: a fresh clock from now, and its reminders and escalations anew.
        appeal.escalation_level = 0
        appeal.reminded_at = None
        apply_deadlines(appeal, start=clock.now())
    else:
        apply_deadlines(appeal)
    data["due_at"] = appeal.due_at.isoformat() if appeal.due_at else None


def step(appeal: Appeal, name: str) -> None:
    """The door for paths that write a batch of appeals with one statement (the intake follow-up):
    check the transition and move the status of the appeal in memory. The caller writes the rows
    and one event per appeal in the same transaction, and its clock effect (lifecycle) itself."""
    transition = TRANSITIONS[name]
    if appeal.status not in transition.sources:
        raise TransitionNotAllowed(f"Действие «{transition.label}» невозможно в статусе «{Status(appeal.status).label}».")
    if transition.target is not None:
        appeal.status = transition.target
    appeal.version += 1


@contextlib.contextmanager
def changing(
    appeal: Appeal | int,
    name: str,
    actor,
    *,
    expected_version: int | None = None,
    label: str | None = None,
) -> Iterator[Change]:
    """Lock the appeal, check access, version and transition; on exit save it and log the event.

    Two operators acting at once: the row lock serialises them and the version check refuses the
    one who acted on a stale view, so nothing is half-written.
    """
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    transition = TRANSITIONS[name]
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("Обращение не найдено.")
        if actor is not None:
            access.require(actor, transition.permission, locked)  # "" (the system only) is nobody's action
        if expected_version is not None and locked.version != expected_version:
            raise ConcurrentUpdate(
                f"Обращение {locked.number} уже изменил другой пользователь. Обновите карточку и повторите действие."
            )
        if locked.status not in transition.sources:
            raise TransitionNotAllowed(
                f"Действие «{transition.label}» невозможно: обращение {locked.number} "
                f"в статусе «{Status(locked.status).label}».",
                code="transition_not_allowed",
            )
        change = Change(appeal=locked, from_status=locked.status, transition=transition)
        yield change
        if not change.clock_moved:
            _move_clock(locked, transition, change.data)
        if transition.target is not None:
            locked.status = transition.target
        locked.version += 1
        locked.refresh_search_text()
        locked.save()
        event = Event.objects.create(
            appeal=locked,
            kind=name,
            actor=actor if actor is not None else None,
            actor_label=label or actor_label(actor),
            from_status=change.from_status,
            to_status=locked.status,
            reason=change.reason,
            data=change.data,
        )
        # Apps above (triage corrections, tension, monitoring) react after commit, without appeals
        # importing them.
        appeal_changed.publish([AppealChange.of(event)])
    if isinstance(appeal, Appeal):
        # Keep the caller's object in step with what was written (refresh also drops cached
        # related objects whose key changed, e.g. `appeal.organisation` after routing).
        appeal.refresh_from_db()


PD_VIEW_EVENT = "personal_data_viewed"


# One audit row per user, appeal and hour keeps the log readable while still showing who looked.
PD_VIEW_AUDIT_WINDOW = dt.timedelta(hours=1)


def record_personal_data_view(appeal: Appeal, user, where: str) -> None:
    """Audit that `user` was shown the resident's personal data (152-FZ: who saw what)."""
    since = clock.now() - PD_VIEW_AUDIT_WINDOW
    if not Event.objects.filter(appeal=appeal, kind=PD_VIEW_EVENT, actor=user, at__gte=since).exists():
        log_event(appeal, PD_VIEW_EVENT, user, reason=f"Просмотр персональных данных ({where})")


def log_event(appeal: Appeal, kind: str, actor=None, *, reason: str = "", data: dict | None = None, label: str = "") -> Event:
    """An event that changes no status (a reminder sent, a personal-data view, a notification)."""
    return Event.objects.create(
        appeal=appeal,
        kind=kind,
        actor=actor,
        actor_label=label or actor_label(actor),
        from_status=appeal.status,
        to_status=appeal.status,
        reason=reason,
        data=data or {},
    )
