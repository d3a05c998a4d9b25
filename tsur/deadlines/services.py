"""Deadlines of appeals: set and recomputed on every change that moves them; reminders before the
deadline, escalation after it (to the organisation's coordinator, then to the center)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from tsur.appeals.models import OPEN_STATUSES, Appeal
from tsur.core import clock
from tsur.deadlines.compute import calendar_for, compute_due, policy_for_regime
from tsur.deadlines.models import DeadlinePolicy
from tsur.directory.models import Regime
from tsur.lib.workcal import WorkCalendar


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

    def calendar(self, appeal: Appeal) -> WorkCalendar:
        key = appeal.organisation_id
        if key not in self._calendars:
            self._calendars[key] = calendar_for(appeal.organisation if key else None)
        return self._calendars[key]


def apply_deadlines(appeal: Appeal, *, start: dt.datetime | None = None, rules: DeadlineRules | None = None) -> None:
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


def due_soon_q(now: dt.datetime, hours: int = 24) -> Q:
    return Q(status__in=OPEN_STATUSES, due_at__gte=now, due_at__lt=now + dt.timedelta(hours=hours))


def overdue_q(now: dt.datetime) -> Q:
    return Q(status__in=OPEN_STATUSES, due_at__lt=now)


def watch_deadlines(now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of reminders and escalations. Idempotent: each appeal records how far it got."""
    from tsur.deadlines.flows import escalate, remind

    now = now or clock.now()
    counts = {"reminded": 0, "escalated_coordinator": 0, "escalated_center": 0}
    open_qs = Appeal.objects.filter(status__in=OPEN_STATUSES).exclude(due_at=None)
    for appeal in open_qs.filter(reminded_at=None, due_at__gt=now).select_related("organisation"):
        policy = policy_for(appeal.regime)
        start = appeal.routed_at or appeal.received_at
        total = (appeal.due_at - start).total_seconds()
        if total > 0 and (now - start).total_seconds() >= total * (policy.remind_at_fraction if policy else 0.75):
            counts["reminded"] += remind(appeal.pk, now)
    for appeal in open_qs.filter(due_at__lte=now, escalation_level__lt=2):
        policy = policy_for(appeal.regime)
        after = dt.timedelta(hours=policy.escalate_center_after_hours if policy else 24)
        if appeal.escalation_level == 0:
            counts["escalated_coordinator"] += escalate(appeal.pk, 1, now)
        elif now >= appeal.due_at + after:
            counts["escalated_center"] += escalate(appeal.pk, 2, now)
    return counts
