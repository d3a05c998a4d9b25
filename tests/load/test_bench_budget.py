"""`tsur bench load`'s budget of the scenario's requests (tsur.demo.bench_budget): each kind the
Locust scenario sends is made in-process and timed on its thread; the mix's mean is the kinds'
times weighted by how often the scenario sends them. Run here on the test world, once per kind."""

from __future__ import annotations

import pytest

from loadtest import scenario
from tests.factories import new_appeal
from tsur.accounts.models import ApiToken, Scope
from tsur.demo.bench_budget import KINDS, Measured, RequestFailed, markdown, mix_budget, summary


@pytest.fixture
def key(world):
    _token, key = ApiToken.issue(world.admin, "app", scopes=[Scope.INTAKE, Scope.OPEN311])
    return key


def test_every_kind_of_the_scenarios_requests_is_made_and_timed(world, key, settings):
    settings.RATELIMIT_ENABLE = False  # a dozen appeals from one address
    for i in range(3):
        new_appeal(world, text=f"Яма на дороге у дома {i}")
    budget = mix_budget(runs=1, operator="operator", analyst="analyst", api_key=key)

    assert [r["request"] for r in budget["rows"]] == [label for label, _user in KINDS]
    assert all(r["cpu_ms"] > 0 for r in budget["rows"])
    assert sum(r["share_of_requests"] for r in budget["rows"]) == pytest.approx(1, abs=0.01)
    assert sum(r["share_of_cpu"] for r in budget["rows"]) == pytest.approx(1, abs=0.01)
    assert "Mean per request of the mix" in "\n".join(markdown(budget))


def test_a_request_that_does_not_answer_as_the_scenario_expects_stops_the_budget(world, key, settings):
    settings.RATELIMIT_ENABLE = False
    new_appeal(world, text="Не горит фонарь")
    with pytest.raises(RequestFailed, match="center"):
        mix_budget(runs=1, operator="operator", analyst="executor", api_key=key)  # not a center role: 403


def test_the_mix_is_weighted_by_how_often_the_scenario_sends_each_kind():
    measured = [Measured("cheap", 3, 2.0), Measured("dear", 1, 30.0)]
    budget = summary(measured)
    assert budget["mean_cpu_ms"] == pytest.approx((3 * 2 + 30) / 4)
    assert [r["share_of_requests"] for r in budget["rows"]] == [0.75, 0.25]
    assert [r["share_of_cpu"] for r in budget["rows"]] == [pytest.approx(6 / 36, abs=0.001), pytest.approx(30 / 36, abs=0.001)]
    assert budget["cores_for_web"]["200"] == pytest.approx(9.0 * 200 / 1000)


def test_the_kinds_follow_the_scenarios_users():
    assert {user for _label, user in KINDS} == set(scenario.WEIGHTS)
    per_user = {user: float(sum(1 for _l, u in KINDS if u == user)) for user in scenario.WEIGHTS}
    # The scenario's own count, less the operator's occasional «route» POST, which is not measured.
    assert per_user == {**scenario.REQUESTS_PER_ITERATION, "Operator": 2.0}
