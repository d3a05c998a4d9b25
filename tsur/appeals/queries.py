"""Reusable conditions on appeals."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from tsur.appeals.models import OPEN_STATUSES


def due_soon_q(now: dt.datetime, hours: int = 24) -> Q:
    return Q(status__in=OPEN_STATUSES, due_at__gte=now, due_at__lt=now + dt.timedelta(hours=hours))


def overdue_q(now: dt.datetime) -> Q:
    return Q(status__in=OPEN_STATUSES, due_at__lt=now)
