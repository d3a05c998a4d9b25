"""The incremental recompute's input: where each appeal counts (`Placement`, one row per counting
appeal, kept up to date) and, read from it, the records of a few series with everything their
scores depend on — so a new appeal costs a few small aggregate queries, not a block's year of rows.

What a series' points depend on, and where it comes from here (docs/tension.md, "Incremental"):
- its own daily counts: the affected place's counts per category and day (before the live weeks)
  plus its appeals themselves (from the live weeks on: their ids and flags make the points);
- its fallback: the parent territory's counts per topic and its share of them — the other places
  of the same parent summarised into one record place per parent, with the real number of places
  (`children`, the smoothing of the share);
- the block-wide part (`Baseline`): the first day, the pooled counts per topic before the first
  window (weekday profile, seasonal factor) and the over-dispersion of the block's series.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from django.db import transaction
from django.db.models import Count, Min
from django.utils import timezone

from tsur.appeals.models import Appeal
from tsur.directory.models import Block
from tsur.tension.engine.config import DetectorConfig
from tsur.tension.engine.expectation import dispersion, dispersion_days
from tsur.tension.engine.model import BLOCK, CATEGORY, Baseline, Record, SeriesKey
from tsur.tension.models import BlockBaseline, PlacedBlock, Placement
from tsur.tension.records import NOT_COUNTED, Placed, Places, load

BATCH = 5000
# The record place standing for the other places of a parent territory (never a real code).
REST = "\x00others:"
# The dirty mark of a whole block (see `sync`).
WHOLE = SeriesKey("", "", "")


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- keeping placements -----------------------------------------------------------------------


def rewrite_block(block: Block, since: dt.date, records: list[Record], received_of: dict[int, dt.datetime]) -> None:
    """After a full read of the block's appeals since `since`: its placements are exactly these."""
    rows = [
        Placement(
            appeal_id=int(r.id), block_id=block.pk, place=r.place, parent=r.parent_place, category=r.topic,
            received_at=received_of[int(r.id)], day=r.day,
        )  # fmt: skip
        for r in records
    ]
    with transaction.atomic():
        Placement.objects.filter(block=block).delete()
        for i in range(0, len(rows), BATCH):
            # An appeal moved here from another block since that block's last full read.
            chunk = rows[i : i + BATCH]
            Placement.objects.filter(appeal_id__in=[p.appeal_id for p in chunk]).delete()
            Placement.objects.bulk_create(chunk)
        PlacedBlock.objects.update_or_create(block=block, defaults={"since": since})
        BlockBaseline.objects.filter(block=block).delete()


def sync(appeals: Iterable[Appeal], resolution: int, places: Places, today: dt.date, live_from: dt.date) -> set[tuple[int, SeriesKey]]:
    """Bring the placements of these appeals (category and block loaded) up to date; returns the
    series they counted in before, when that changed (they must be recomputed too), and WHOLE
    for a block where an appeal of an earlier day changed where or whether it counts: that moves
    the usual level of other series too (the parent's, the block's pooled counts), so the block is
    recomputed in full. A change before `live_from` (the first live window) also drops the block's
    cached baseline. An appeal received today moves only its own series' counts (levels learn
    from the days before)."""
    appeals = list(appeals)
    ids = [a.pk for a in appeals]
    old = {p.appeal_id: p for p in Placement.objects.filter(appeal_id__any_of=ids).select_related("block")}
    left: set[tuple[int, SeriesKey]] = set()
    new: list[Placement] = []
    stale: set[int] = set()
    for a in appeals:
        placed: Placed | None = None
        if a.block_id is not None and a.category_id is not None and a.status not in NOT_COUNTED:
            placed = places.of(a.lat, a.lon, a.territory_id, resolution)
        row = None
        if placed is not None:
            row = Placement(
                appeal_id=a.pk, block_id=a.block_id, place=placed.place, parent=places.parent_of(placed),
                category=a.category.code, received_at=a.received_at, day=timezone.localdate(a.received_at),
            )  # fmt: skip
            new.append(row)
        before = old.get(a.pk)
        was = (before.block_id, before.place, before.parent, before.category) if before else None
        now_ = (row.block_id, row.place, row.parent, row.category) if row else None
        if was == now_:
            continue
        if before is not None:
            left.add((before.block_id, SeriesKey(before.place, CATEGORY, before.category)))
            left.add((before.block_id, SeriesKey(before.place, BLOCK, before.block.key)))
        for placement in (before, row):
            if placement is not None and placement.day < today:
                left.add((placement.block_id, WHOLE))
                if placement.day < live_from:
                    stale.add(placement.block_id)
    with transaction.atomic():
        if stale:
            BlockBaseline.objects.filter(block_id__in=stale).delete()
        Placement.objects.filter(appeal_id__any_of=ids).delete()
        Placement.objects.bulk_create(new)
    return left


def is_placed(block: Block, since: dt.date) -> bool:
    return PlacedBlock.objects.filter(block=block, since__lte=since).exists()


# --- reading counts -----------------------------------------------------------------------------


def baseline(block: Block, rows, start: dt.date, today: dt.date, cfg: DetectorConfig) -> Baseline | None:
    """The block-wide part of the detector from the placements `rows` (the block's, in the window
    read): as `engine.detect.baseline_of` would compute it from the records. Kept for the day."""
    day0 = rows.aggregate(first=Min("day"))["first"]
    if day0 is None:
        return None
    kept = BlockBaseline.objects.filter(block=block, as_of=today, day0=day0).first()
    if kept is not None:
        return Baseline(day0=day0, pooled={(level, topic): counts for level, topic, counts in kept.pooled}, phi=kept.phi)
    found = _baseline(block, rows, day0, start, cfg)
    pooled = [[level, topic, counts] for (level, topic), counts in found.pooled.items()]
    BlockBaseline.objects.update_or_create(block=block, defaults={"as_of": today, "day0": day0, "pooled": pooled, "phi": found.phi})
    return found


def _baseline(block: Block, rows, day0: dt.date, start: dt.date, cfg: DetectorConfig) -> Baseline:
    start_i = max((start - day0).days, 0)
    pooled: dict[tuple[str, str], np.ndarray] = {}
    whole = np.zeros(start_i)
    for category, day, n in rows.filter(day__lt=start).values_list("category", "day").annotate(n=Count("*")).order_by():
        d = (day - day0).days
        pooled.setdefault((CATEGORY, category), np.zeros(start_i))[d] = n
        whole[d] += n
    pooled[(BLOCK, block.key)] = whole
    W = cfg.window_days
    span = dispersion_days(start_i, W)
    window: dict[tuple[str, str], np.ndarray] = {}
    if span:
        first = start - dt.timedelta(days=span)
        got = rows.filter(day__gte=first, day__lt=start).values_list("place", "category", "day").annotate(n=Count("*")).order_by()
        for place, category, day, n in got:
            d = (day - first).days
            window.setdefault((place, category), np.zeros(span))[d] += n
            window.setdefault((place, "\x00block"), np.zeros(span))[d] += n
    counts = np.array(list(window.values())) if window else np.zeros((0, span))
    phi = dispersion(counts, span, W, cfg) if span else dispersion(counts, start_i, W, cfg)
    return Baseline(day0=day0, pooled={k: v.tolist() for k, v in pooled.items()}, phi=phi)


def series_records(
    block: Block, keys: set[SeriesKey], rows, since: dt.date, now: dt.datetime, detail_from: dt.date, resolution: int, places: Places
) -> tuple[list[Record], dict[int, Placed], dict[str, int]]:
    """The records the `keys` series need (see the module's docstring), the place of each appeal
    read in full, and the number of places per parent territory involved."""
    affected = {k.place for k in keys}
    parent_of = dict(rows.filter(place__in=affected).exclude(parent="").values_list("place").annotate(p=Min("parent")).order_by())
    groups: dict[str, set[str]] = defaultdict(set)
    for place in affected:
        groups[parent_of.get(place, "")].add(place)
    records: list[Record] = []
    children: dict[str, int] = {}
    for parent, mine in groups.items():
        if not parent:
            continue
        # The places that fall back on this parent: those whose first parent (by code) it is.
        candidates = rows.filter(parent=parent).values("place")
        firsts = rows.filter(place__in=candidates).exclude(parent="").values_list("place").annotate(p=Min("parent")).order_by()
        members = {place for place, first in firsts if first == parent} | mine
        children[parent] = len(members)
        others = members - mine
        if others:
            got = rows.filter(place__in=others).values_list("category", "day").annotate(n=Count("*")).order_by()
            records += [Record(day=d, place=REST + parent, parent_place=parent, topic=c, block=block.key, n=n) for c, d, n in got]
    # The affected places: counts before the live weeks, the appeals themselves from then on.
    early = rows.filter(place__in=affected, day__lt=detail_from).values_list("place", "category", "day").annotate(n=Count("*"))
    for place, category, day, n in early.order_by():
        records.append(Record(day=day, place=place, parent_place=parent_of.get(place, ""), topic=category, block=block.key, n=n))
    ids = rows.filter(place__in=affected, day__gte=detail_from).values_list("appeal_id", flat=True)
    detailed, placed_of, _ = load(block.pk, since, now, resolution, places, ids=ids)
    records += detailed
    return records, placed_of, children


def window_rows(block: Block, since: dt.date, now: dt.datetime):
    """The block's placements in the window a recompute reads (as `records.load` reads appeals)."""
    return Placement.objects.filter(block=block, received_at__gte=_midnight(since), received_at__lte=now)
