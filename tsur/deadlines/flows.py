"""Side effects of deadlines: reminder and escalation notices to staff, each claimed by a
conditional update so two workers never send the same one twice."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from tsur.appeals.models import Appeal
from tsur.appeals.services import log_event
from tsur.deadlines.models import StaffAlert


def remind(appeal_id: int, now: dt.datetime) -> int:
    with transaction.atomic():
        claimed = Appeal.objects.filter(pk=appeal_id, reminded_at=None).update(reminded_at=now)
        if not claimed:
            return 0
        appeal = Appeal.objects.select_related("organisation").get(pk=appeal_id)
        due = appeal.due_at.astimezone(now.tzinfo) if appeal.due_at else None
        text = f"Срок ответа по обращению {appeal.number} истекает {due:%d.%m.%Y %H:%M}" if due else ""
        StaffAlert.objects.create(appeal=appeal, kind=StaffAlert.Kind.REMINDER, organisation=appeal.organisation, text=text)
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
        StaffAlert.objects.create(
            appeal=appeal,
            kind=StaffAlert.Kind.ESCALATION_COORDINATOR if level == 1 else StaffAlert.Kind.ESCALATION_CENTER,
            organisation=appeal.organisation if level == 1 else None,
            text=text,
        )
        log_event(appeal, "escalation", reason=text, data={"level": level})
    return 1
