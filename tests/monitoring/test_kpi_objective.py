"""The organisations' KPIs count objective proof: answered appeals whose closure linked events
prove, and answers the events contradict; the KPI page shows both with its legend."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.monitoring.helpers import LAT, T0, answer, event, heating_appeal, metres_north, pressure_kind, resolve
from tsur.analytics import kpi
from tsur.analytics.filters import Filters
from tsur.core import clock
from tsur.monitoring import matching
from tsur.monitoring.queries import objective_summary_by_organisation

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def answered(world):
    """Four appeals answered by the city administration: one proven, one contradicted, one linked
    with an event still going on (within its grace period), one with no event at all."""
    kind = pressure_kind(world, may_close=False, may_reopen=False, radius_m=100, quiet_hours=240)
    places = [metres_north(LAT, 1000 * n) for n in range(4)]
    appeals = [heating_appeal(world, T0 + H, lat=lat) for lat in places]
    proven = event(kind, T0, lat=places[0])
    event(kind, T0, lat=places[1])
    event(kind, T0, lat=places[2])
    matching.match_pending()
    for a in appeals:
        answer(world, a, T0 + 5 * H)
    resolve(proven, T0 + 7 * H)
    with clock.at(T0 + 9 * H):
        event(kind, T0 + 8 * H, lat=places[1])  # the problem is back after the answer
        matching.match_pending()
    return appeals


def test_the_summary_counts_proof_and_contradiction_per_organisation(world, answered):
    figures = objective_summary_by_organisation(Filters.parse({"from": "2026-12-01", "to": "2026-12-31"}).appeals_q())
    city = figures[world.city_admin.pk]
    assert (city.answered, city.linked, city.proven, city.contradicted) == (4, 3, 1, 1)
    assert city.proven_share == pytest.approx(1 / 3)


def test_the_kpi_rating_and_page_show_them_with_the_legend(world, answered, client, settings):
    settings.TSUR_KPI_MIN_ANSWERED = 1
    period = Filters.parse({"from": "2026-12-01", "to": "2026-12-31"})
    [city] = [s for s in kpi.organisation_rating(period) if s.code == "city-admin"]
    assert (city.objective.proven, city.objective.contradicted) == (1, 1)
    client.force_login(world.analyst)
    with clock.at(T0 + 10 * H):
        page = client.get(reverse("workspace:center_kpi"), {"from": "2026-12-01", "to": "2026-12-31"}).content.decode()
    assert "Подтверждено объективно" in page and "Противоречит событиям" in page
    assert '33,3 % <span class="muted">(1 из 3)</span>' in page
    assert "«подтверждено объективно» — доля ответов" in page
