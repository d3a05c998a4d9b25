"""The situation center's scheduled work (the weekly report), registered with tsur.core.tasks."""

from __future__ import annotations

import datetime as dt

from tsur.core.tasks import periodic
from tsur.workspace.center import weekly


@periodic("center.weekly_report")
def weekly_report(now: dt.datetime) -> str:
    """Every tick: last week's report once it is owed (Monday from WEEKLY_HOUR, Moscow) and not yet
    stored; a tick missed on Monday is made up at the next one."""
    return weekly.run_schedule(now)
