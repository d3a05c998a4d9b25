"""Periodic work of deadlines: reminders before the deadline, escalation after it."""

from __future__ import annotations

import datetime as dt

from tsur.core.tasks import periodic
from tsur.escalation.watch import watch_deadlines


@periodic("deadlines")
def deadlines(now: dt.datetime) -> dict[str, int]:
    return watch_deadlines(now)
