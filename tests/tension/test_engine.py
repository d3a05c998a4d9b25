"""The detector on synthetic series: planted surges are found where and when they were planted,
steady weekly rhythms and single odd reports are not points, thin history borrows its parent's
level, the lifecycle follows the trajectory."""

from __future__ import annotations

import numpy as np

from tests.tension.synthetic import burst, day, steady
from tsur.tension.engine.config import DetectorConfig, Flag
from tsur.tension.engine.detect import detect
from tsur.tension.engine.explain import explain, plural
from tsur.tension.engine.model import BLOCK, CATEGORY, EASING, GROWING, NEW, RESOLVED, STABLE, SeriesKey

PLACES = ["north", "south", "east", "west"]


def _background(rng, days=range(0, 140)):
    out = []
    for place in PLACES:
        for topic, rate in (("snow", 1.5), ("pothole", 2.0), ("garbage", 3.0)):
            block = "roads" if topic in ("snow", "pothole") else "waste"
            out += steady(rng, place=place, topic=topic, days=days, rate=rate, block=block)
    return out


def test_it_finds_a_planted_surge_at_its_place_topic_and_window():
    rng = np.random.default_rng(7)
    records = _background(rng) + burst(place="south", topic="snow", days=range(100, 107), per_day=6, block="roads")
    points = detect(records, start=day(70), end=day(140))
    top = points[0]
    assert (top.key.place, top.key.level, top.key.topic) == ("south", CATEGORY, "snow")
    assert day(98) <= top.start <= day(100)
    assert day(107) <= top.end <= day(109)
    assert top.count >= 42
    assert top.expected < 20
    assert top.state == RESOLVED
    # The block sees the same surge at its level too.
    assert any(p.key == SeriesKey("south", BLOCK, "roads") for p in points)
    # Nothing else stands out in the noise.
    assert all(p.key.place == "south" for p in points)


def test_it_raises_no_points_for_a_steady_weekly_rhythm():
    rng = np.random.default_rng(11)
    weekly = (9.0, 8.0, 8.0, 7.0, 6.0, 1.0, 0.5)  # busy Mondays, quiet weekends
    records = []
    for place in PLACES:
        records += steady(rng, place=place, topic="garbage", days=range(0, 182), rate=0, block="waste", weekday_rates=weekly)
    assert detect(records, start=day(56), end=day(182)) == []


def test_it_does_not_make_a_point_of_one_odd_report():
    rng = np.random.default_rng(3)
    records = _background(rng)
    records += burst(place="north", topic="icicles", days=range(120, 121), per_day=1, block="roads")
    records += burst(place="west", topic="fountain", days=range(120, 122), per_day=2, block="water")
    points = detect(records, start=day(70), end=day(140))
    assert not any(p.key.topic in ("icicles", "fountain", "water") for p in points)


def test_it_falls_back_to_the_parent_territorys_level_where_history_is_thin():
    rng = np.random.default_rng(5)
    records = []
    # Cell "a" has half of the district's appeals, but none about heating until the surge;
    # cell "b" carries the district's heating at 5 a day.
    records += steady(rng, place="a", topic="water", days=range(0, 120), rate=5.0, parent="district")
    records += steady(rng, place="b", topic="heating", days=range(0, 120), rate=5.0, parent="district")
    records += burst(place="a", topic="heating", days=range(110, 117), per_day=8, parent="district")
    points = [p for p in detect(records, start=day(60), end=day(120)) if p.key.place == "a"]
    assert len(points) == 1
    # Usually ~2.5 a day there (the district's 5 a day × the cell's half), not zero.
    assert 2.0 <= points[0].expected / points[0].days <= 3.2
    assert points[0].parent_place == "district"

    # Without a parent the same cell has no history to lean on: the surprise is far larger.
    orphan = [r.__class__(day=r.day, place=r.place, topic=r.topic, id=r.id) for r in records]
    alone = [p for p in detect(orphan, start=day(60), end=day(120)) if p.key.place == "a"]
    assert alone[0].expected / alone[0].days < 0.5
    assert alone[0].surprise > points[0].surprise


def _lifecycle(shape: list[int]) -> str:
    """The state as of the end of a surge shaped by `shape` (appeals per day, the last days)."""
    rng = np.random.default_rng(13)
    total = 120
    records = steady(rng, place="north", topic="snow", days=range(0, total), rate=1.0)
    first = total - len(shape)
    for offset, per_day in enumerate(shape):
        records += burst(place="north", topic="snow", days=range(first + offset, first + offset + 1), per_day=per_day)
    points = detect(records, start=day(60), end=day(total))
    assert len(points) == 1, points
    return points[0].state


def test_it_follows_the_lifecycle_from_the_trajectory_of_windows():
    assert _lifecycle([6, 7, 6]) == NEW
    assert _lifecycle([3] * 7 + [9] * 7) == GROWING
    assert _lifecycle([6] * 14) == STABLE
    assert _lifecycle([9] * 7 + [4] * 7) == EASING
    assert _lifecycle([9] * 7 + [0] * 14) == RESOLVED


def test_it_sharpens_a_point_by_its_flags_within_the_bound():
    rng = np.random.default_rng(17)
    base = _background(rng)
    plain = burst(place="east", topic="pothole", days=range(100, 107), per_day=5, block="roads")
    sharp = burst(place="east", topic="pothole", days=range(100, 107), per_day=5, block="roads", flags=Flag.OVERDUE | Flag.UNRESOLVED | Flag.REOPENED)
    cfg = DetectorConfig()
    p_plain = next(p for p in detect(base + plain, start=day(70), end=day(140), config=cfg) if p.key.topic == "pothole")
    p_sharp = next(p for p in detect(base + sharp, start=day(70), end=day(140), config=cfg) if p.key.topic == "pothole")
    assert p_sharp.surprise == p_plain.surprise
    assert 1.0 < p_sharp.sharpening <= cfg.max_sharpening
    assert p_sharp.score > p_plain.score
    assert p_sharp.flags["overdue"] == 35


def test_it_explains_a_point_in_russian():
    rng = np.random.default_rng(7)
    records = _background(rng) + burst(place="south", topic="snow", days=range(100, 107), per_day=6, block="roads")
    point = detect(records, start=day(70), end=day(140))[0]
    names = {"south": "Южный район", "snow": "Снег на дороге", "roads": "Дороги"}
    text = explain(point, place_name=names.get, topic_name=names.get)
    assert text.startswith("Снег на дороге (Дороги) — Южный район: ")
    assert "обращени" in text and "при обычных" in text and "завершилась" in text
    assert "south" not in text and "snow" not in text


def test_it_declines_russian_nouns():
    assert [plural(n, "обращение", "обращения", "обращений") for n in (1, 2, 5, 11, 21, 22, 112)] == [
        "обращение", "обращения", "обращений", "обращений", "обращение", "обращения", "обращений",
    ]


def test_it_expects_a_yearly_seasonal_rise_it_saw_a_year_before():
    rng = np.random.default_rng(23)
    records = []
    for place in PLACES:
        for n in range(0, 730):
            # Snow: 1 a day most of the year, a sudden 4 a day from day 300 to 360 of each year.
            rate = 4.0 if 300 <= n % 365 < 360 else 1.0
            records += steady(rng, place=place, topic="snow", days=range(n, n + 1), rate=rate, block="roads")
    start, end = day(365 + 290), day(365 + 330)
    aware = detect(records, start=start, end=end)
    blind = detect(records, start=start, end=end, config=DetectorConfig(season_bounds=(1.0, 1.0)))
    assert len(blind) >= 3  # without last year, this winter's first snow is a surge in every place
    assert len(aware) < len(blind)
    assert sum(p.score for p in aware) < 0.5 * sum(p.score for p in blind)
