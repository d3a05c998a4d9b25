"""What the other pages read about points of tension (the map, the weekly report, the governor's
front page). Signatures are stable: `points(filters, *, limit=None, include_closed=False)` and
`changes(since)`."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tsur.appeals.access import appeals_for
from tsur.appeals.models import Appeal
from tsur.tension import grouping, naming
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


# Scores are bounded for display: a surprise beyond floating point (inf) or beyond any reading
# becomes SCORE_CAP, so no page or JSON ever holds inf. Pages read a score ≥ SCORE_CAP as «очень высокая».
SCORE_CAP = 999.0
# How many candidate points are collapsed into episodes at most (the strongest first).
CANDIDATES = 3000
# What the lists read; the daily series and the flags (JSON) stay in the database.
HEAVY = ("series", "flags", "territory__boundary")


def cap(score: float) -> float:
    """The score bounded to [0, SCORE_CAP] (NaN and inf included)."""
    if not math.isfinite(score):
        return SCORE_CAP if score != -math.inf else 0.0
    return min(max(score, 0.0), SCORE_CAP)


def _present(points: list[TensionPoint]) -> None:
    for p in points:
        p.score = cap(p.score)
        p.surprise = cap(p.surprise)
    naming.name_points(points)


def _attach(group: grouping.Group) -> TensionPoint:
    lead = group.lead
    lead.group = group
    lead.group_score = cap(group.score)
    return lead


def points(filters: Filters, *, limit: int | None = None, include_closed: bool = False) -> list[TensionPoint]:
    """Episodes overlapping the filters' period, in their territory (with everything under it),
    block or category (a category selects its own points; a block all of its points) and of the
    organisation (assigned to it, or with its appeals), best first. Live and not dismissed unless
    include_closed. The channel filter does not apply: a point is not a channel's.

    Each item is the leading point of an episode (tsur.tension.grouping: the category carrying its
    block, the neighbouring cells, the other windows are folded into it) with `group` (the
    Group), `group_score` and `place_name` set; scores are capped at SCORE_CAP; `series` and
    `flags` are deferred."""
    qs = (
        _filtered(filters, include_closed=include_closed)
        .select_related("block", "category", "territory", "organisation")
        .defer(*HEAVY)
        .order_by("-score", "pk")
    )
    candidates = list(qs[:CANDIDATES])
    groups = grouping.collapse(candidates)
    if limit:
        groups = groups[:limit]
    shown = [p for g in groups for p in g.members]
    _present(shown)
    return [_attach(g) for g in groups]


def episode(point: TensionPoint) -> grouping.Group:
    """The episode a point belongs to, collapsed as the lists collapse it: its neighbouring cells,
    other windows and block point (live ones for a live point; all for a closed one)."""
    closed = point.state == State.RESOLVED or point.handling == Handling.DISMISSED
    gap = dt.timedelta(days=grouping.WINDOW_GAP_DAYS)
    qs = TensionPoint.objects.filter(
        block_id=point.block_id, window_start__lte=point.window_end + gap, window_end__gte=point.window_start - gap
    )
    if not closed:
        qs = qs.exclude(state=State.RESOLVED).exclude(handling=Handling.DISMISSED)
    candidates = list(qs.select_related("block", "category", "territory", "organisation").defer(*HEAVY).order_by("-score", "pk")[:CANDIDATES])
    if point.pk not in {p.pk for p in candidates}:
        candidates.append(point)
    for g in grouping.collapse(candidates):
        if point.pk in {p.pk for p in g.members}:
            _present(g.members)
            return g
    raise AssertionError("a point always belongs to its own episode")


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
    against the week before `since`, and points that ended since then. Best first in each kind.
    One change per episode and kind (collapsed as in `points`: the lead carries `group`), scores
    capped and places named as in `points`."""
    W = detector_config().window_days
    since_day = timezone.localdate(since)
    found: list[tuple[str, TensionPoint, str]] = []
    base = (
        TensionPoint.objects.select_related("block", "category", "territory")
        .defer("flags", "territory__boundary")
        .exclude(handling=Handling.DISMISSED)
    )
    for tp in base.filter(first_seen__gte=since).defer("series").order_by("-score", "pk"):
        found.append(("new", tp, "Новая: "))
    live = base.filter(first_seen__lt=since, updated_at__gte=since).exclude(state=State.RESOLVED).order_by("-score", "pk")
    for tp in live:
        if not tp.series:
            continue
        last_day = dt.date.fromisoformat(tp.series[-1]["day"])
        now_count = _week_count(tp.series, last_day, W)
        then_count = _week_count(tp.series, min(since_day, last_day), W)
        if now_count >= GROWN_RATIO * then_count and now_count - then_count >= GROWN_MIN:
            found.append(("grown", tp, f"Выросла: {now_count} обращений за {W} дней против {then_count}. "))
    ended = base.filter(state=State.RESOLVED, updated_at__gte=since, window_end__gte=since_day - dt.timedelta(days=W))
    for tp in ended.defer("series").order_by("-score", "pk"):
        found.append(("resolved", tp, "Завершилась: "))
    out: list[Change] = []
    for kind in ("new", "grown", "resolved"):
        prefixes = {tp.pk: prefix for k, tp, prefix in found if k == kind}
        groups = grouping.collapse([tp for k, tp, _ in found if k == kind])
        _present([p for g in groups for p in g.members])
        for g in groups:
            lead = _attach(g)
            out.append(Change(kind, lead, prefixes[lead.pk] + naming.explanation_of(lead)))
    return out


def point_appeals(point: TensionPoint, user, *, members: list[TensionPoint] | None = None) -> QuerySet[Appeal]:
    """The appeals behind a point (or behind all the points of its episode, `members`) that this
    user may see, newest first."""
    ids = TensionPoint.appeals.through.objects.filter(tensionpoint_id__in=[p.pk for p in members or [point]]).values("appeal_id")
    return appeals_for(user).filter(pk__in=ids).select_related("category", "territory").order_by("-received_at", "-pk")


def appeals_total(members: list[TensionPoint]) -> int:
    """How many distinct appeals stand behind these points."""
    through = TensionPoint.appeals.through.objects
    return through.filter(tensionpoint_id__in=[p.pk for p in members]).values("appeal_id").distinct().count()
