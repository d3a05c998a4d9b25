"""The center's figures over a selection (`Filters`): read from the daily rollup (precomputed)
plus the few live ones (open and overdue now) counted on appeals. H4's weekly report and the
governor's front page read `overview` and `worst_overdue`; their signatures stay stable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict

from django.db.models import Count, Min, Q, QuerySet, Sum

from tsur.analytics import measures, rollup
from tsur.analytics.filters import Filters
from tsur.analytics.models import (
    ANSWER_FIELDS,
    BUCKET_EDGES_HOURS,
    COUNT_FIELDS,
    REVIEW_FIELDS,
    DailyFigures,
    DailyPlaceFigures,
    DailyTopicFigures,
    MonthlyPlaceFigures,
)
from tsur.appeals import channels
from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.directory.models import Block, Category, Organisation, Territory

MUNICIPAL_LEVELS = frozenset({Territory.Level.CITY_DISTRICT, Territory.Level.MUNICIPAL_DISTRICT})


# Which keys each rollup has, smallest first: a read goes to the first that has every key the
# selection's conditions and the read's grouping need.
TABLES = (
    (DailyTopicFigures, frozenset({"block_id", "category_id", "channel"})),
    (DailyPlaceFigures, frozenset({"territory_id", "organisation_id"})),
    (DailyFigures, frozenset({"block_id", "category_id", "channel", "territory_id", "organisation_id"})),
)
PLACE_KEYS = frozenset({"territory_id", "organisation_id"})


def _needs(filters: Filters) -> set[str]:
    need = set()
    if filters.category is not None or filters.block is not None:
        need |= {"block_id", "category_id"}
    if filters.territory_ids:
        need.add("territory_id")
    if filters.organisation is not None:
        need.add("organisation_id")
    if filters.channel:
        need.add("channel")
    return need


def rollup_rows(filters: Filters, *, group: tuple[str, ...] = ()) -> QuerySet:
    """The rollup rows of the selection (the same conditions as `Filters.appeals_q`), from the
    smallest rollup that has the keys of the conditions and of `group`."""
    need = _needs(filters) | {g for g in group if g != "day"}
    model = next(m for m, keys in TABLES if need <= keys)
    rows = model.objects.filter(day__gte=filters.date_from, day__lte=filters.date_to)
    if filters.category is not None:
        rows = rows.filter(category_id=filters.category.pk)
    elif filters.block is not None:
        rows = rows.filter(block_id=filters.block.pk)
    if filters.territory_ids:
        rows = rows.filter(territory_id__in=sorted(filters.territory_ids))
    if filters.organisation is not None:
        rows = rows.filter(organisation_id=filters.organisation.pk)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    return rows


def _sums() -> dict:
    return {name: Sum(name, default=0) for name in COUNT_FIELDS + REVIEW_FIELDS + ANSWER_FIELDS}


def grouped_sums(filters: Filters, keys: tuple[str, ...] = ()) -> list[dict]:
    """The selection's sums grouped by `keys` (none: one row). When the daily place rollup would
    serve, whole calendar months are read from the monthly one and only the ragged ends of the
    period from the daily rows; the partial sums are added up here."""
    need = _needs(filters) | set(keys)
    first = rollup.month_start(filters.date_from)
    if first < filters.date_from:
        first = rollup.month_end(filters.date_from) + dt.timedelta(days=1)
    last = rollup.month_start(filters.date_to + dt.timedelta(days=1)) - dt.timedelta(days=1)
    if not need <= PLACE_KEYS or first > last:
        rows = rollup_rows(filters, group=keys).order_by()
        return list(rows.values(*keys).annotate(**_sums())) if keys else [rows.aggregate(**_sums())]
    parts = [_place_filter(MonthlyPlaceFigures.objects.filter(month__gte=first, month__lte=last), filters)]
    if filters.date_from < first:
        parts.append(rollup_rows(dataclasses.replace(filters, date_to=first - dt.timedelta(days=1)), group=keys))
    if last < filters.date_to:
        parts.append(rollup_rows(dataclasses.replace(filters, date_from=last + dt.timedelta(days=1)), group=keys))
    merged: dict[tuple, dict] = {}
    for part in parts:
        part = part.order_by()
        found = part.values(*keys).annotate(**_sums()) if keys else [part.aggregate(**_sums())]
        for row in found:
            acc = merged.setdefault(tuple(row[k] for k in keys), {**{k: row[k] for k in keys}, **_filled(None)})
            _add(acc, row)
    return list(merged.values()) or ([] if keys else [_filled(None)])


def _place_filter(rows: QuerySet, filters: Filters) -> QuerySet:
    if filters.territory_ids:
        rows = rows.filter(territory_id__in=sorted(filters.territory_ids))
    if filters.organisation is not None:
        rows = rows.filter(organisation_id=filters.organisation.pk)
    return rows


def percentile(histogram: list[int], q: float) -> float | None:
    """The q-quantile (0..1) in hours of a bucketed histogram, interpolated geometrically inside
    its bucket (durations are log-spaced); None when the histogram is empty."""
    total = sum(histogram)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    edges = BUCKET_EDGES_HOURS
    for i, n in enumerate(histogram):
        if n and seen + n >= rank:
            share = (rank - seen) / n
            if i == 0:
                return edges[0] * share
            low = edges[i - 1]
            high = edges[i] if i < len(edges) else low * 1.5
            return low * math.pow(high / low, share)
        seen += n
    return edges[-1]


@dataclasses.dataclass(frozen=True)
class Times:
    count: int
    median_hours: float | None
    p90_hours: float | None


def _times(sums: dict, fields: tuple[str, ...]) -> Times:
    hist = [sums.get(f) or 0 for f in fields]
    return Times(sum(hist), percentile(hist, 0.5), percentile(hist, 0.9))


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclasses.dataclass(frozen=True)
class Overview:
    """The selection's figures. Shares are 0..1 (None without a base); times in hours."""

    received: int
    routed: int
    answered: int
    answered_in_time: int
    answered_late: int
    in_time_share: float | None
    open_now: int
    overdue_now: int
    review: Times
    answer: Times
    rated: int
    rated_good: int
    satisfaction: float | None  # share of latest ratings 4–5
    average_rating: float | None
    reopened: int
    reopen_rate: float | None  # reopened / answered
    formal: int
    returned: int
    repeat: int


def live_counts(filters: Filters, *, by: tuple[str, ...] = ()) -> dict:
    """Open and overdue now among the selection's appeals: one dict, or with `by` (Appeal fields)
    a dict per group keyed by the tuple of the group's values."""
    now = clock.now()
    appeals = Appeal.objects.filter(filters.appeals_q(), measures.condition("open", now)).order_by()
    aggregates = {"open_now": Count("pk"), "overdue_now": Count("pk", filter=measures.condition("overdue", now))}
    if not by:
        return appeals.aggregate(**aggregates)
    return {tuple(row[f] for f in by): row for row in appeals.values(*by).annotate(**aggregates)}


def _overview_of(sums: dict, live: dict) -> Overview:
    return Overview(
        received=sums["received"],
        routed=sums["routed"],
        answered=sums["answered"],
        answered_in_time=sums["answered_in_time"],
        answered_late=sums["answered_late"],
        in_time_share=_share(sums["answered_in_time"], sums["answered"]),
        open_now=live.get("open_now") or 0,
        overdue_now=live.get("overdue_now") or 0,
        review=_times(sums, REVIEW_FIELDS),
        answer=_times(sums, ANSWER_FIELDS),
        rated=sums["rated"],
        rated_good=sums["rated_good"],
        satisfaction=_share(sums["rated_good"], sums["rated"]),
        average_rating=_share(sums["ratings_sum"], sums["rated"]),
        reopened=sums["reopened"],
        reopen_rate=_share(sums["reopened"], sums["answered"]),
        formal=sums["formal"],
        returned=sums["returned"],
        repeat=sums["repeat"],
    )


def overview(filters: Filters, *, live: bool = True) -> Overview:
    """Every headline figure of the selection (`live=False`: without the «now» counts, which a
    past period's comparison does not need; they are then 0)."""
    return _overview_of(_filled(grouped_sums(filters)[0]), live_counts(filters) if live else {})


# --- over time -----------------------------------------------------------------------------------

DIMENSIONS = {
    "block": ("block_id", Block, "key", "name"),
    "category": ("category_id", Category, "code", "name"),
    "territory": ("territory_id", Territory, "code", "name"),
    "organisation": ("organisation_id", Organisation, "code", "short_name"),
}


def period_step(filters: Filters) -> int:
    """Days per point of a chart: a day up to three months, else a week."""
    return 1 if filters.days <= 92 else 7


def series(filters: Filters, by: str, *, top: int = 8) -> dict:
    """Received appeals per day (or week) for the `top` largest values of dimension `by`
    (block, category, territory, organisation, channel); the rest summed as «прочие»."""
    step = period_step(filters)
    starts = [filters.date_from + dt.timedelta(days=i) for i in range(0, filters.days, step)]
    field = "channel" if by == "channel" else DIMENSIONS[by][0]
    per: dict[object, list[int]] = defaultdict(lambda: [0] * len(starts))
    for row in rollup_rows(filters, group=(field,)).values("day", field).annotate(n=Sum("received")).order_by():
        per[row[field]][(row["day"] - filters.date_from).days // step] += row["n"]
    ranked = sorted(per, key=lambda k: (-sum(per[k]), str(k)))
    names = _names(by, [k for k in ranked if k is not None])
    out = []
    for key in ranked[:top]:
        code, name = names.get(key, ("", "не указано"))
        out.append({"code": code, "name": name, "data": per[key]})
    rest = [per[k] for k in ranked[top:]]
    if rest:
        out.append({"code": "", "name": "прочие", "data": [sum(v) for v in zip(*rest, strict=True)]})
    return {
        "by": by,
        "step": step,
        "starts": [d.isoformat() for d in starts],
        "ends": [min(d + dt.timedelta(days=step - 1), filters.date_to).isoformat() for d in starts],
        "series": out,
    }


def _names(by: str, keys: list) -> dict:
    if by == "channel":
        return {k: (k, channels.label(k)) for k in keys}
    _, model, code, name = DIMENSIONS[by]
    return {pk: (c, n) for pk, c, n in model.objects.filter(pk__in=keys).values_list("pk", code, name)}


# --- tables --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Row:
    key: int | None
    code: str
    name: str
    figures: Overview


def _filled(sums: dict | None) -> dict:
    return {name: (sums or {}).get(name) or 0 for name in COUNT_FIELDS + REVIEW_FIELDS + ANSWER_FIELDS}


def _add(acc: dict, row: dict) -> None:
    """Add a row's sums into `acc` (its keys, the *_id fields, are left alone)."""
    for name in acc:
        if not name.endswith("_id"):
            acc[name] += row.get(name) or 0


def municipality_of() -> dict[int, Territory]:
    """Each territory's municipality (city district or municipal district above or at it)."""
    nodes = {t.pk: t for t in Territory.objects.only("pk", "code", "name", "level", "parent_id")}
    out: dict[int, Territory] = {}
    for pk, node in nodes.items():
        cur: Territory | None = node
        while cur is not None and cur.level not in MUNICIPAL_LEVELS:
            cur = nodes.get(cur.parent_id) if cur.parent_id else None
        if cur is not None:
            out[pk] = cur
    return out


@dataclasses.dataclass(frozen=True)
class Breakdown:
    """The selection's figures in total, per organisation and per municipality (one pass)."""

    total: Overview
    organisations: list[Row]
    municipalities: list[Row]


def breakdown(filters: Filters) -> Breakdown:
    """One grouped read of the rollup (by organisation × territory) and one of the live counts,
    summed three ways: the whole selection, each organisation, each municipality (appeals placed
    only at the region's level, or nowhere, form their own row «без муниципалитета»)."""
    keys = ("organisation_id", "territory_id")
    grouped = grouped_sums(filters, keys)
    live = list(live_counts(filters, by=("organisation_id", "territory_id")).values())
    muni = municipality_of()
    total, per_org, per_muni = _filled(None), {}, {}
    live_total = {"open_now": 0, "overdue_now": 0}
    live_org: dict = {}
    live_muni: dict = {}
    for r in grouped:
        _add(total, r)
        _add(per_org.setdefault(r["organisation_id"], _filled(None)), r)
        m = muni.get(r["territory_id"])
        _add(per_muni.setdefault(m.pk if m else None, _filled(None)), r)
    for r in live:
        _add(live_total, r)
        _add(live_org.setdefault(r["organisation_id"], {"open_now": 0, "overdue_now": 0}), r)
        m = muni.get(r["territory_id"])
        _add(live_muni.setdefault(m.pk if m else None, {"open_now": 0, "overdue_now": 0}), r)
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[k for k in {*per_org, *live_org} if k is not None])}
    org_rows = []
    for key in {*per_org, *live_org}:
        org = orgs.get(key)
        name = org.short_name if org else "не назначена"
        org_rows.append(Row(key, org.code if org else "", name, _overview_of(_filled(per_org.get(key)), live_org.get(key, {}))))
    by_pk = {t.pk: t for t in muni.values()}
    muni_rows = []
    for key in {*per_muni, *live_muni}:
        t = by_pk.get(key) if key is not None else None
        name = t.name if t else "без муниципалитета"
        muni_rows.append(Row(key, t.code if t else "", name, _overview_of(_filled(per_muni.get(key)), live_muni.get(key, {}))))
    return Breakdown(
        total=_overview_of(total, live_total),
        organisations=sorted(org_rows, key=lambda r: (-r.figures.received, r.name)),
        municipalities=sorted(muni_rows, key=lambda r: (r.key is None, -r.figures.received, r.name)),
    )


def by_organisation(filters: Filters) -> list[Row]:
    """The selection's figures per organisation, largest first."""
    sums = {r["organisation_id"]: r for r in grouped_sums(filters, ("organisation_id",))}
    live = live_counts(filters, by=("organisation_id",))
    live = {k[0]: v for k, v in live.items()}
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[k for k in {*sums, *live} if k is not None])}
    rows = []
    for key in {*sums, *live}:
        org = orgs.get(key)
        name = org.short_name if org else "не назначена"
        rows.append(Row(key, org.code if org else "", name, _overview_of(_filled(sums.get(key)), live.get(key, {}))))
    return sorted(rows, key=lambda r: (-r.figures.received, r.name))


def by_municipality(filters: Filters) -> list[Row]:
    """The selection's figures per municipality."""
    return breakdown(filters).municipalities


@dataclasses.dataclass(frozen=True)
class OverdueOrganisation:
    code: str
    name: str
    kind: str
    overdue_now: int
    open_now: int
    oldest_due_at: dt.datetime | None


def worst_overdue(limit: int = 10, filters: Filters | None = None) -> list[OverdueOrganisation]:
    """Organisations with the most appeals overdue now (all appeals, or the selection's)."""
    now = clock.now()
    appeals = Appeal.objects.filter(measures.condition("open", now), organisation__isnull=False)
    if filters is not None:
        appeals = appeals.filter(filters.appeals_q())
    rows = list(
        appeals.order_by()
        .values("organisation_id")
        .annotate(
            overdue_now=Count("pk", filter=Q(due_at__lt=now)),
            open_now=Count("pk"),
            oldest_due_at=Min("due_at", filter=Q(due_at__lt=now)),
        )
        .filter(overdue_now__gt=0)
        .order_by("-overdue_now", "organisation_id")[:limit]
    )
    orgs = {o.pk: o for o in Organisation.objects.filter(pk__in=[r["organisation_id"] for r in rows])}
    return [
        OverdueOrganisation(
            orgs[r["organisation_id"]].code,
            orgs[r["organisation_id"]].short_name,
            orgs[r["organisation_id"]].kind,
            r["overdue_now"],
            r["open_now"],
            r["oldest_due_at"],
        )
        for r in rows
    ]
