"""What other pages read: points by the shared filters (period overlap, territory with its
descendants, block or category, organisation), and what changed since a moment."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.tension.platform import MSK
from tests.tension.test_services import make_point
from tsur.analytics.filters import Filters
from tsur.core import clock
from tsur.tension import queries, services

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 3, 20)
AT = dt.datetime(2025, 3, 20, 12, 0, tzinfo=MSK)


def _filters(**params: str) -> Filters:
    return Filters.parse({"from": "2025-03-01", "to": "2025-03-20", **params}, today=TODAY)


def test_it_selects_points_by_the_shared_filters(world):
    village = make_point(world, place="village", territory=world.village, score=9.0)
    city = make_point(world, place="city", territory=world.city, category=world.snow, score=8.0)
    block = make_point(world, place="district", level="block", category=None, score=7.0)
    old = make_point(world, window_start=dt.date(2025, 1, 1), window_end=dt.date(2025, 1, 10), score=50.0)
    dismissed = make_point(world, score=40.0)
    with clock.at(AT):
        services.dismiss_point(dismissed, world.operator, "Известная причина")

    assert queries.points(_filters()) == [village, city, block]
    assert queries.points(_filters(), limit=2) == [village, city]
    assert dismissed in queries.points(_filters(), include_closed=True)
    assert old not in queries.points(_filters(), include_closed=True)
    assert queries.points(_filters(territory="district")) == [village, block]  # the village lies in the district
    assert queries.points(_filters(category="snow")) == [city]
    assert queries.points(_filters(block="roads")) == [village, city, block]
    assert queries.points(_filters(block="waste")) == []
    with clock.at(AT):
        services.assign_point(block, world.operator, world.waste_operator)
    assert queries.points(_filters(organisation="waste-op")) == [block]


def test_it_tells_what_changed_since_a_moment(world):
    since = AT - dt.timedelta(days=1)
    series_growing = [{"day": (TODAY - dt.timedelta(days=n)).isoformat(), "count": 1 if n > 6 else 5, "expected": 1.0} for n in range(20, -1, -1)]
    new = make_point(world, first_seen=AT, updated_at=AT, score=12.0)
    grown = make_point(world, place="city", territory=world.city, first_seen=AT - dt.timedelta(days=10), updated_at=AT,
                       series=series_growing, score=11.0)  # fmt: skip
    flat = make_point(world, place="village", territory=world.village, first_seen=AT - dt.timedelta(days=10), updated_at=AT,
                      series=[{**d, "count": 2} for d in series_growing], score=10.0)  # fmt: skip
    ended = make_point(world, place="region", territory=world.region, state="resolved", first_seen=AT - dt.timedelta(days=20),
                       updated_at=AT, window_end=TODAY - dt.timedelta(days=1), score=9.0)  # fmt: skip
    kinds = [(c.kind, c.point) for c in queries.changes(since)]
    # «grown» compares the last week with the week before `since`; the series grew from 1 to 5 a day
    # only in its last 7 days, and `since` is yesterday, so the week before it holds 6 days of 5.
    assert ("new", new) in kinds and ("resolved", ended) in kinds
    assert all(p != flat for _, p in kinds)
    week_ago = queries.changes(AT - dt.timedelta(days=7))
    assert ("grown", grown) in [(c.kind, c.point) for c in week_ago]
    assert all(c.text and "Выросла" in c.text for c in week_ago if c.kind == "grown")
