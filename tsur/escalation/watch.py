"""Watching open appeals over time: a reminder before the deadline, escalation after it (to the
organisation's coordinator, then to the center). Each notice is claimed by a conditional update, so
two workers never send the same one twice. Registered as a periodic job of `tick`."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from tsur.appeals.models import OPEN_STATUSES, Appeal
from tsur.appeals.services import log_event
from tsur.core import clock
from tsur.core.tasks import enqueue_ids
from tsur.deadlines.models import DeadlinePolicy, StaffAlert
from tsur.deadlines.services import policy_for
from tsur.escalation import mail

# Used only where an appeal's regime has lost its policy since its due date was set.
DEFAULT_REMIND_AT = DeadlinePolicy._meta.get_field("remind_at_fraction").default
DEFAULT_CENTER_AFTER_HOURS = DeadlinePolicy._meta.get_field("escalate_center_after_hours").default


def watch_deadlines(now: dt.datetime | None = None) -> dict[str, int]:
    """One pass of reminders and escalations. Idempotent: each appeal records how far it got."""
    now = now or clock.now()
    counts = {"reminded": 0, "escalated_coordinator": 0, "escalated_center": 0}
    open_qs = Appeal.objects.filter(status__in=OPEN_STATUSES).exclude(due_at=None)
    for appeal in open_qs.filter(reminded_at=None, due_at__gt=now).select_related("organisation"):
        policy = policy_for(appeal.regime)
        start = appeal.routed_at or appeal.received_at
        total = (appeal.due_at - start).total_seconds()
        if total > 0 and (now - start).total_seconds() >= total * (policy.remind_at_fraction if policy else DEFAULT_REMIND_AT):
            counts["reminded"] += remind(appeal.pk, now)
    for appeal in open_qs.filter(due_at__lte=now, escalation_level__lt=2):
        policy = policy_for(appeal.regime)
        after = dt.timedelta(hours=policy.escalate_center_after_hours if policy else DEFAULT_CENTER_AFTER_HOURS)
        if appeal.escalation_level == 0:
            counts["escalated_coordinator"] += escalate(appeal.pk, 1, now)
        elif now >= appeal.due_at + after:
            counts["escalated_center"] += escalate(appeal.pk, 2, now)
    return counts


def remind(appeal_id: int, now: dt.datetime) -> int:
    with transaction.atomic():
        claimed = Appeal.objects.filter(pk=appeal_id, reminded_at=None).update(reminded_at=now)
        if not claimed:
            return 0
        appeal = Appeal.objects.select_related("organisation").get(pk=appeal_id)
        due = appeal.due_at.astimezone(now.tzinfo) if appeal.due_at else None
        text = f"Срок ответа по обращению {appeal.number} истекает {due:%d.%m.%Y %H:%M}" if due else ""
        alert = StaffAlert.objects.create(appeal=appeal, kind=StaffAlert.Kind.REMINDER, organisation=appeal.organisation, text=text)
        _email(alert)
        log_event(appeal, "reminder", reason=text)
    return 1


def escalate(appeal_id: int, level: int, now: dt.datetime) -> int:
    """Level 1: the organisation's coordinator; level 2: the center."""
    with transaction.atomic():
        claimed = Appeal.objects.filter(pk=appeal_id, escalation_level=level - 1).update(escalation_level=level)
        if not claimed:
            return 0
        appeal = Appeal.objects.select_related("organisation").get(pk=appeal_id)
        who = "координатору организации" if level == 1 else "в ЦУР"
        text = f"Обращение {appeal.number} просрочено; эскалация {who}"
        alert = StaffAlert.objects.create(
            appeal=appeal,
            kind=StaffAlert.Kind.ESCALATION_COORDINATOR if level == 1 else StaffAlert.Kind.ESCALATION_CENTER,
            organisation=appeal.organisation if level == 1 else None,
            text=text,
        )
        _email(alert)
        log_event(appeal, "escalation", reason=text, data={"level": level})
    return 1


def _email(alert: StaffAlert) -> None:
    """Reminders and escalations go by e-mail too, to those who asked (tsur.escalation.mail)."""
    ids = mail.record_emails([alert])
    if ids:
        transaction.on_commit(lambda: enqueue_ids("send_signal_emails", ids))
