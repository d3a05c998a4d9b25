"""Reminders before the deadline, escalation after it (coordinator, then the center), once each."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.factories import Channel, new_appeal
from tsur.appeals import services
from tsur.core import clock
from tsur.deadlines.models import StaffAlert
from tsur.escalation.watch import watch_deadlines

MSK = ZoneInfo("Europe/Moscow")


def test_it_reminds_then_escalates_twice_and_only_once_each(world):
    with clock.at(dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK)):
        a = new_appeal(world, channel=Channel.VK, external_id="vk-watch")
        services.route_appeal(a, world.operator)
    due = a.due_at  # 2025-03-03 18:00, 8 working hours later
    assert watch_deadlines(dt.datetime(2025, 3, 3, 12, 0, tzinfo=MSK))["reminded"] == 0
    assert watch_deadlines(due - dt.timedelta(hours=1))["reminded"] == 1
    assert watch_deadlines(due - dt.timedelta(minutes=30))["reminded"] == 0
    assert watch_deadlines(due + dt.timedelta(minutes=1))["escalated_coordinator"] == 1
    assert watch_deadlines(due + dt.timedelta(hours=2)) == {"reminded": 0, "escalated_coordinator": 0, "escalated_center": 0}
    assert watch_deadlines(due + dt.timedelta(hours=25))["escalated_center"] == 1
    # The deadline's own alerts (routing made a workflow signal too, from its event).
    kinds = list(StaffAlert.objects.filter(appeal=a, event=None).order_by("created_at").values_list("kind", "organisation__code"))
    assert kinds == [("reminder", "roads-min"), ("escalation_coordinator", "roads-min"), ("escalation_center", None)]
    assert [e.kind for e in a.events.filter(kind__in=["reminder", "escalation"])] == ["reminder", "escalation", "escalation"]


def test_it_does_not_watch_closed_appeals(world):
    with clock.at(dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK)):
        a = new_appeal(world)
        services.reject_appeal(a, world.operator, reason_code="spam")
    assert watch_deadlines(dt.datetime(2025, 6, 1, tzinfo=MSK)) == {"reminded": 0, "escalated_coordinator": 0, "escalated_center": 0}
