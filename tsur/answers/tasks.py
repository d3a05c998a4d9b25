"""Periodic work of answers: closing published appeals that were left without a rating."""

from __future__ import annotations

import datetime as dt

from tsur.answers.services import auto_close_due
from tsur.core.tasks import periodic


@periodic("auto_closed")
def auto_close(now: dt.datetime) -> int:
    return auto_close_due(now)
