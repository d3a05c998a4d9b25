"""Periodic and background work of escalation: reminders before the deadline, escalation after
it; workflow signals made from the appeals' events, and their e-mails."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from tsur.appeals.events import AppealChange
from tsur.core import metrics
from tsur.core.tasks import LOST_AFTER, REQUEUE_AT_MOST, background, enqueue_ids, periodic
from tsur.deadlines.models import SignalEmail
from tsur.escalation import mail
from tsur.escalation.signals import SIGNAL_OF, make_signals, unsignalled_events
from tsur.escalation.watch import watch_deadlines


@periodic("deadlines")
def deadlines(now: dt.datetime) -> dict[str, int]:
    return watch_deadlines(now)


def on_appeal_events(changes: Sequence[AppealChange]) -> None:
    """Subscriber of appeal_changed and appeal_noted: the signals of the hand-overs among them.
    Runs after commit; if it is lost, the sweeper makes them from the event log."""
    ids = [c.event_id for c in changes if c.kind in SIGNAL_OF]
    if ids:
        make_signals(ids)


@background("send_signal_emails")
def send_signal_emails(ids: list[int]) -> dict[str, int]:
    return mail.send_signal_emails(ids)


@periodic("signals_swept")
def sweep_signals(now: dt.datetime) -> dict[str, int]:
    """Signals a lost subscriber call left unmade, and e-mails a lost queue message left unsent."""
    events = unsignalled_events(now, LOST_AFTER, REQUEUE_AT_MOST)
    made = make_signals(events) if events else 0
    pending = list(
        SignalEmail.objects.filter(state=SignalEmail.State.PENDING, created_at__lt=now - LOST_AFTER).values_list("pk", flat=True)[:REQUEUE_AT_MOST]
    )
    enqueue_ids("send_signal_emails", pending)
    return {"events": len(events), "signals": made, "emails": len(pending)}


__all__ = ["deadlines", "on_appeal_events", "send_signal_emails", "sweep_signals"]


# --- /metrics: staff signal e-mails waiting and given up ------------------------------------------
metrics.queue("escalation.signal_emails", lambda: SignalEmail.objects.filter(state=SignalEmail.State.PENDING), "created_at")
metrics.failed("escalation.signal_emails", lambda: SignalEmail.objects.filter(state=SignalEmail.State.FAILED))
