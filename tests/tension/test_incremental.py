"""The incremental recompute reads counts, not rows: a few series with the block-wide baseline,
the other places of their parent summarised, their early days as daily counts. It must give
exactly the points a full run gives (engine on a synthetic history; the platform end to end)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import numpy as np
import pytest

from tests.factories import new_appeal
from tests.tension.platform import NOW, history
from tests.tension.synthetic import burst, day, steady
from tsur.appeals.services import NewAppeal, create_appeals
from tsur.core import clock
from tsur.tension import services
from tsur.tension.engine.detect import baseline_of, detect
from tsur.tension.engine.model import BLOCK, CATEGORY, Record, SeriesKey
from tsur.tension.models import PlacedBlock, Placement, TensionPoint


def _history() -> list[Record]:
    rng = np.random.default_rng(7)
    recs: list[Record] = []
    for place, parent, rate in (("c1", "P1", 0.8), ("c2", "P1", 0.5), ("c3", "P1", 0.3), ("c6", "P2", 0.6), ("T0", "", 0.4)):
        for topic in ("t1", "t2"):
            recs += steady(rng, place=place, topic=topic, block="B", parent=parent, days=range(0, 420), rate=rate)
    # A thin series (falls back on its parent) and a cell on the border of two parents.
    recs += steady(rng, place="c4", topic="t1", block="B", parent="P1", days=range(300, 420), rate=0.05)
    recs += steady(rng, place="c5", topic="t1", block="B", parent="P2", days=range(0, 420), rate=0.3)
    recs += steady(rng, place="c5", topic="t1", block="B", parent="P1", days=range(200, 420), rate=0.1)
    recs += burst(place="c2", topic="t1", block="B", parent="P1", days=range(405, 412), per_day=4, flags=1)
    recs += burst(place="c4", topic="t1", block="B", parent="P1", days=range(410, 415), per_day=3)
    recs += burst(place="c5", topic="t1", block="B", parent="P1", days=range(412, 418), per_day=3)
    recs += burst(place="T0", topic="t2", block="B", days=range(408, 416), per_day=5)
    rng.shuffle(recs)
    return recs


def _summarised(recs: list[Record], keys: set[SeriesKey], detail_from: dt.date) -> tuple[list[Record], dict[str, int]]:
    """What the platform reads for `keys`: their places' records from detail_from on, daily counts
    of them before, and each parent's other places as one record place."""
    affected = {k.place for k in keys}
    first_parent: dict[str, str] = {}
    for r in recs:
        if r.parent_place and (r.place not in first_parent or r.parent_place < first_parent[r.place]):
            first_parent[r.place] = r.parent_place
    parents = {first_parent[p] for p in affected if p in first_parent}
    children = {q: sum(1 for p in first_parent.values() if p == q) for q in parents}
    out = [r for r in recs if r.place in affected and r.day >= detail_from]
    early = Counter((r.place, r.topic, r.day) for r in recs if r.place in affected and r.day < detail_from)
    out += [Record(day=d, place=p, parent_place=first_parent.get(p, ""), topic=t, block="B", n=n) for (p, t, d), n in early.items()]
    rest = Counter((first_parent[r.place], r.topic, r.day) for r in recs if r.place not in affected and first_parent.get(r.place) in parents)
    out += [Record(day=d, place="others-" + q, parent_place=q, topic=t, block="B", n=n) for (q, t, d), n in rest.items()]
    return out, children


@pytest.mark.parametrize("places", [("c2",), ("c4",), ("c5",), ("T0",), ("c1", "c6")])
def test_it_scores_a_few_series_from_counts_exactly_as_the_whole_block(places):
    recs = _history()
    start, end = day(392), day(420)
    keys = {SeriesKey(p, level, topic) for p in places for level, topic in ((CATEGORY, "t1"), (CATEGORY, "t2"), (BLOCK, "B"))}
    full = [p for p in detect(recs, start=start, end=end) if p.key in keys]
    summarised, children = _summarised(recs, keys, start - dt.timedelta(days=7))
    base = baseline_of(recs, start=start, end=end)
    part = detect(summarised, start=start, end=end, only=keys, baseline=base, children=children)
    assert [dataclasses.asdict(p) for p in part] == [dataclasses.asdict(p) for p in full]
    if places == ("c2",):
        assert any(p.key == SeriesKey("c2", CATEGORY, "t1") and p.flags.get("unresolved") for p in full)


def test_it_finds_the_border_cells_parent_whatever_the_order_of_the_records():
    recs = _history()
    forward = detect(recs, start=day(392), end=day(420))
    backward = detect(list(reversed(recs)), start=day(392), end=day(420))

    def seen(points):  # within a day the ids follow the records' order
        return [{**dataclasses.asdict(p), "ids": sorted(p.ids)} for p in points]

    assert seen(forward) == seen(backward)
    assert {p.parent_place for p in forward if p.key.place == "c5"} == {"P1"}


# --- the platform -------------------------------------------------------------------------------


def _more_history(world) -> None:
    """Beside the district's potholes: the city (same parent), cells in the district with
    coordinates and the village (places whose parent is the district), snow too."""
    items = []
    for n in range(70, 0, -1):
        moment = NOW - dt.timedelta(days=n, hours=2)
        if n % 3 == 0:
            items.append(NewAppeal(channel="operator", text=f"Яма в городе {n}", category_code="pothole", territory_code="city", received_at=moment))
        if n % 2 == 0 or n <= 5:
            for k in range(3 if n <= 5 else 1):
                items.append(
                    NewAppeal(
                        channel="operator", text=f"Снег не убран {n}-{k}", category_code="snow", territory_code="district",
                        lat=53.5 + 0.001 * k, lon=35.5, address=f"ул. Лесная, {k}", received_at=moment,
                    )
                )  # fmt: skip
        if n % 5 == 0:
            items.append(NewAppeal(channel="operator", text=f"Яма в селе {n}", category_code="pothole", territory_code="village", received_at=moment))
    with clock.at(NOW):
        create_appeals(items, world.operator)


def _points() -> dict:
    out = {}
    for tp in TensionPoint.objects.order_by("pk"):
        out[tp.pk] = (
            tp.place, tp.level, tp.category_id, tp.state, tp.window_start, tp.window_end, tp.count, tp.expected, tp.surprise,
            tp.sharpening, tp.score, tp.explanation, tp.flags, tp.series, sorted(tp.appeals.values_list("pk", flat=True)),
        )  # fmt: skip
    return out


@pytest.mark.django_db
def test_it_updates_points_from_counts_as_a_full_recompute_would(world, monkeypatch):
    history(world)
    _more_history(world)
    later = NOW + dt.timedelta(minutes=5)
    with clock.at(later):
        services.recompute_block(world.roads)  # full: writes the block's placements
    assert PlacedBlock.objects.filter(block=world.roads).exists()
    assert Placement.objects.filter(block=world.roads).count() > 100

    def no_full_read(*args, **kwargs):
        raise AssertionError("the incremental recompute read the whole block")

    monkeypatch.setattr(services, "load", no_full_read)
    with clock.at(later):
        new_appeal(world)
        new_appeal(world, territory_code="city")
        new_appeal(world, category_code="snow", lat=53.5, lon=35.5)
    incremental = _points()
    monkeypatch.undo()
    with clock.at(later):
        services.recompute_block(world.roads)
    assert _points() == incremental
    assert len(incremental) >= 2


@pytest.mark.django_db
def test_it_recomputes_the_whole_block_when_an_appeal_of_an_earlier_day_moves(world):
    from tsur.appeals.models import Appeal
    from tsur.tension import tasks
    from tsur.tension.models import BlockBaseline

    history(world)
    _more_history(world)
    later = NOW + dt.timedelta(minutes=5)
    with clock.at(later):
        services.recompute_block(world.roads)
        new_appeal(world)  # the incremental recompute keeps the day's baseline
    assert BlockBaseline.objects.filter(block=world.roads).exists()
    old = Appeal.objects.filter(category=world.pothole, received_at__lt=NOW - dt.timedelta(days=40)).order_by("pk").first()
    Appeal.objects.filter(pk=old.pk).update(category=world.snow)  # as a reclassification would leave it
    with clock.at(later):
        blocks = tasks.mark_appeals([old.pk])
        assert not BlockBaseline.objects.filter(block=world.roads).exists()
        for block_id in blocks:
            tasks.recompute_dirty(block_id)
    incremental = _points()
    with clock.at(later):
        services.recompute_block(world.roads)
    assert _points() == incremental
    assert Placement.objects.get(appeal_id=old.pk).category == "snow"
