"""The KPI formula on hand-built figures: the weights, the minimum numbers, the groups."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.analytics import kpi, rollup
from tsur.analytics.figures import percentile
from tsur.analytics.filters import Filters
from tsur.analytics.models import BUCKET_EDGES_HOURS, BUCKETS, DailyFigures
from tsur.directory.models import Organisation

DAY = dt.date(2025, 3, 3)


def figures_row(org, **counts) -> DailyFigures:
    row = DailyFigures.objects.create(day=DAY, organisation_id=org.pk, channel="widget", **counts)
    rollup.sum_coarse(DAY, DAY)
    return row


@pytest.fixture
def period(world):
    return Filters.parse({"from": "2025-03-01", "to": "2025-03-31"})


def test_it_scores_by_the_formula_shown(world, period, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 10
    settings.TSUR_KPI_MIN_RATED = 5
    # 20 answered, 15 in time; 2 formal + 1 returned + 1 reopened + 0 repeat; 10 rated, 8 good.
    figures_row(world.roads_ministry, received=25, answered=20, answered_in_time=15, answered_late=5, formal=2, returned=1,
                reopened=1, rated=10, rated_good=8, ratings_sum=42)
    [s] = [s for s in kpi.organisation_rating(period) if s.code == "roads-min"]
    assert s.timeliness == pytest.approx(0.75)  # nothing open now: no overdue share
    assert s.quality == pytest.approx(1 - 4 / 20)
    assert s.satisfaction == pytest.approx(0.8)
    assert s.score == pytest.approx(100 * (0.4 * 0.75 + 0.3 * 0.8 + 0.3 * 0.8))
    assert s.score == pytest.approx(78.0) and s.zone == "yellow" and s.rank == 1 and s.note == ""


def test_it_respects_the_minimum_numbers(world, period, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 10
    settings.TSUR_KPI_MIN_RATED = 5
    figures_row(world.roads_ministry, received=12, answered=10, answered_in_time=5, rated=4, rated_good=4)
    figures_row(world.city_admin, received=9, answered=9, answered_in_time=9, rated=9, rated_good=9)
    by_code = {s.code: s for s in kpi.organisation_rating(period)}
    roads = by_code["roads-min"]
    # Four ratings are too few: satisfaction is left out, timeliness and quality carry the score.
    assert roads.satisfaction is None and "удовлетворённость: недостаточно данных" in roads.note
    assert roads.score == pytest.approx(100 * (0.4 * 0.5 + 0.3 * 1.0) / 0.7)
    assert roads.zone == "yellow"
    city = by_code["city-admin"]
    assert city.score is None and city.rank is None and city.zone == "none"
    assert city.note.startswith("недостаточно данных: ответов 9 из нужных 10")


def test_it_ranks_within_groups_of_the_same_kind(world, period, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 1
    settings.TSUR_KPI_MIN_RATED = 1
    second_ministry = Organisation.objects.create(code="health-min", name="Минздрав", short_name="Минздрав", kind="regional")
    figures_row(world.roads_ministry, received=10, answered=10, answered_in_time=10, rated=10, rated_good=10)
    figures_row(second_ministry, received=10, answered=10, answered_in_time=2, rated=10, rated_good=1)
    figures_row(world.city_admin, received=10, answered=10, answered_in_time=1, rated=10, rated_good=1)
    figures_row(world.center, received=10, answered=10, answered_in_time=10)
    rating = kpi.organisation_rating(period)
    assert [(s.kind, s.code, s.rank, s.group_size) for s in rating] == [
        ("regional", "roads-min", 1, 2),
        ("regional", "health-min", 2, 2),
        ("municipal", "city-admin", 1, 1),  # the worst overall, first among municipalities
    ]
    assert rating[1].zone == "red" and "center" not in {s.code for s in rating}


def test_it_reads_medians_and_p90_from_buckets_within_a_bucket():
    durations = [0.2, 1.0, 3.0, 5.0, 7.5, 20.0, 30.0, 70.0, 200.0, 900.0] * 7
    hist = [0] * BUCKETS
    edges = BUCKET_EDGES_HOURS
    for d in durations:
        hist[next((i for i, e in enumerate(edges) if d < e), len(edges))] += 1
    ordered = sorted(durations)
    for q in (0.5, 0.9):
        exact = ordered[int(q * len(ordered)) - 1]
        got = percentile(hist, q)
        assert exact / 1.5 <= got <= exact * 1.5, (q, exact, got)
    assert percentile([0] * BUCKETS, 0.5) is None
