"""What the other pages read about points of tension (the map, the weekly report, the governor's
front page). Signatures are stable: `points(filters, *, limit=None, include_closed=False)` and
`changes(since)`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tsur.appeals.access import appeals_for
from tsur.appeals.models import Appeal
from tsur.tension.models import Handling, Level, State, TensionPoint
from tsur.tension.settings import detector_config

if TYPE_CHECKING:
    # The shared filters (tsur.analytics.filters.Filters) live in a sibling app: only their
    # fields are read here (date_from, date_to, block, category, territory_ids, organisation).
    from tsur.analytics.filters import Filters

GROWN_RATIO = 1.25
GROWN_MIN = 3


def _filtered(filters: Filters, *, include_closed: bool) -> QuerySet[TensionPoint]:
    qs = TensionPoint.objects.filter(window_start__lte=filters.date_to, window_end__gt=filters.date_from)
    if filters.category is not None:
        qs = qs.filter(level=Level.CATEGORY, category=filters.category)
    elif filters.block is not None:
        qs = qs.filter(block=filters.block)
    if filters.territory_ids:
        qs = qs.filter(territory_id__in=sorted(filters.territory_ids))
    if filters.organisation is not None:
        theirs = TensionPoint.appeals.through.objects.filter(
            tensionpoint_id=OuterRef("pk"), appeal__organisation=filters.organisation
        )
        qs = qs.filter(Q(organisation=filters.organisation) | Exists(theirs))
    if not include_closed:
        qs = qs.exclude(state=State.RESOLVED).exclude(handling=Handling.DISMISSED)
    return qs


def points(filters: Filters, *, limit: int | None = None, include_closed: bool = False) -> list[TensionPoint]:
    """Points overlapping the filters' period, in their territory (with everything under it),
    block or category (a category selects its own points; a block all of its points) and of the
    organisation (assigned to it, or with its appeals), best first. Live and not dismissed unless
    include_closed. The channel filter does not apply: a point is not a channel's."""
    qs = _filtered(filters, include_closed=include_closed).select_related("block", "category", "territory", "organisation")
    qs = qs.order_by("-score", "pk")
    return list(qs[:limit] if limit else qs)


@dataclass(frozen=True)
class Change:
    kind: str  # "new" | "grown" | "resolved"
    point: TensionPoint
    text: str  # Russian, for people

    @property
    def label(self) -> str:
        return {"new": "Новая", "grown": "Выросла", "resolved": "Завершилась"}[self.kind]


def _week_count(series: list[dict], last_day: dt.date, days: int) -> int:
    first = last_day - dt.timedelta(days=days - 1)
    return sum(d["count"] for d in series if first.isoformat() <= d["day"] <= last_day.isoformat())


def changes(since: dt.datetime) -> list[Change]:
    """What changed since a moment: points first seen since then, live points whose last week grew
    against the week before `since`, and points that ended since then. Best first in each kind."""
    W = detector_config().window_days
    since_day = timezone.localdate(since)
    out: list[Change] = []
    base = TensionPoint.objects.select_related("block", "category", "territory").exclude(handling=Handling.DISMISSED)
    for tp in base.filter(first_seen__gte=since).order_by("-score", "pk"):
        out.append(Change("new", tp, f"Новая: {tp.explanation}"))
    live = base.filter(first_seen__lt=since, updated_at__gte=since).exclude(state=State.RESOLVED).order_by("-score", "pk")
    for tp in live:
        if not tp.series:
            continue
        last_day = dt.date.fromisoformat(tp.series[-1]["day"])
        now_count = _week_count(tp.series, last_day, W)
        then_count = _week_count(tp.series, min(since_day, last_day), W)
        if now_count >= GROWN_RATIO * then_count and now_count - then_count >= GROWN_MIN:
            out.append(Change("grown", tp, f"Выросла: {now_count} обращений за {W} дней против {then_count}. {tp.explanation}"))
    ended = base.filter(state=State.RESOLVED, updated_at__gte=since, window_end__gte=since_day - dt.timedelta(days=W))
    for tp in ended.order_by("-score", "pk"):
        out.append(Change("resolved", tp, f"Завершилась: {tp.explanation}"))
    return out


def point_appeals(point: TensionPoint, user) -> QuerySet[Appeal]:
    """The appeals behind a point that this user may see, newest first."""
    ids = point.appeals.values("pk")
    return appeals_for(user).filter(pk__in=ids).select_related("category", "territory").order_by("-received_at", "-pk")
