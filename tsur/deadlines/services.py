"""Due dates of appeals: set and recomputed on every change that moves them.

Pure of the appeal model: it reads and writes the few fields a `Timed` names, so the lifecycle
(which sits above) calls it without deadlines knowing appeals. Reminders and escalation, which
watch appeals over time, are tsur.escalation (above appeals).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from tsur.deadlines.compute import calendar_for, compute_due, policy_for_regime
from tsur.deadlines.models import DeadlinePolicy
from tsur.directory.models import Organisation, Regime
from tsur.lib.workcal import WorkCalendar


class Timed(Protocol):
    """What due-date computation reads and writes of an appeal."""

    regime: str
    urgency: str
    received_at: dt.datetime
    registered_at: dt.datetime | None
    interim_answered_at: dt.datetime | None
    extension_days: int
    organisation_id: int | None
    organisation: Organisation | None
    due_at: dt.datetime | None
    due_explain: str
    registration_due_at: dt.datetime | None
    transfer_due_at: dt.datetime | None


def policy_for(regime: str) -> DeadlinePolicy | None:
    """The configured policy of a regime (the PRODUCT.md default when none is stored)."""
    try:
        return policy_for_regime(regime)[0]
    except ValueError:
        return None


class DeadlineRules:
    """The policies and working calendars deadlines are computed from, read from the database once
    and reused: a batch of new appeals shares them instead of reading them again per appeal."""

    def __init__(self) -> None:
        self._policies: dict[str, DeadlinePolicy | None] = {}
        self._calendars: dict[int | None, WorkCalendar] = {}

    def policy(self, regime: str) -> DeadlinePolicy | None:
        if regime not in self._policies:
            self._policies[regime] = policy_for(regime)
        return self._policies[regime]

    def calendar(self, appeal: Timed) -> WorkCalendar:
        key = appeal.organisation_id
        if key not in self._calendars:
            self._calendars[key] = calendar_for(appeal.organisation if key else None)
        return self._calendars[key]


def apply_deadlines(appeal: Timed, *, start: dt.datetime | None = None, rules: DeadlineRules | None = None) -> None:
    """Set the appeal's due dates from its regime, urgency, organisation calendar and extensions.

    The clock runs from receipt; 59-FZ appeals count their 30 days from registration. A reopened
    appeal passes `start` (the moment of reopening) to get a fresh clock. Does not save: the
    caller's transition saves. `rules` shares the policies and calendars among many appeals.
    """
    rules = rules or DeadlineRules()
    policy = rules.policy(appeal.regime)
    if policy is None:
        appeal.due_at = None
        appeal.due_explain = "Регламент сроков не настроен"
        return
    calendar = rules.calendar(appeal)
    due = compute_due(
        policy,
        appeal.urgency,
        start or appeal.received_at,
        calendar,
        interim_at=appeal.interim_answered_at if start is None else None,
        extension_days=appeal.extension_days,
        registered_at=appeal.registered_at if start is None and appeal.regime == Regime.APPEAL else None,
    )
    appeal.due_at = due.due
    appeal.due_explain = due.explain[:300]
    if start is None:
        appeal.registration_due_at = due.registration_due
        appeal.transfer_due_at = due.transfer_due
