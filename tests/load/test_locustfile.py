"""The load scenario cannot rot: every user of loadtest/locustfile.py runs its task against a live
server (loadtest.smoke: each user in turn, a few rounds, no timing), and no request fails.

Locust runs in a process of its own (it patches the standard library with gevent on import, which
the test process must not get). Without Locust the test is skipped with the reason; with
TSUR_REQUIRE_LOCUST=1 (CI) it fails instead.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from loadtest import scenario

REPO = Path(django_settings.BASE_DIR)
EXPECTED = [
    "/widget/ [GET]",
    "/widget/ [POST]",
    "/api/appeals [POST]",
    "/api/categories",
    "/open311/v2/services.json",
    "/open311/v2/requests.json [POST]",
    "/open311/v2/requests.json [GET]",
    "/accounts/login/ [POST]",
    "/workspace/ [queue]",
]


def _require_locust() -> None:
    if importlib.util.find_spec("locust") is None:
        reason = "Locust is not installed"
        if os.environ.get("TSUR_REQUIRE_LOCUST") == "1":
            pytest.fail(reason + " (required: TSUR_REQUIRE_LOCUST=1)")
        pytest.skip(reason)


@pytest.mark.django_db(transaction=True)
def test_every_user_of_the_scenario_works_against_a_live_server(live_server, settings):
    from tsur.appeals.services import NewAppeal, create_appeal
    from tsur.demo.loader import create_users, load_reference

    _require_locust()
    settings.TSUR_RATE_INTAKE_ANONYMOUS = ["100000/m"]  # one client address posts for all residents
    settings.TSUR_RATE_INTAKE_KEY = ["100000/m"]
    load_reference()
    create_users()
    create_appeal(NewAppeal(channel="widget", text="Яма на дороге у дома 5"))  # a card for the operators from the start

    rounds = len(scenario.QUEUE_FILTERS)  # the operator opens every queue filter once
    argv = [sys.executable, "-m", "loadtest.smoke", "--host", live_server.url, "--rounds", str(rounds)]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TSUR_LOAD_SEED": "3"}
    done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    for name in EXPECTED:
        assert counts.get(name, [0])[0] > 0, f"{name} was never requested: {sorted(counts)}"
    assert any(name.startswith("/workspace/center/") for name in counts), sorted(counts)


@pytest.mark.django_db(transaction=True)
def test_staff_can_take_sessions_signed_in_before_the_run(live_server, settings):
    """`tsur bench load` signs the staff in once (scenario.sign_in) and hands the sessions to every
    step's users, who then work without signing in again."""
    from tsur.demo.loader import create_users, load_reference

    _require_locust()
    load_reference()
    create_users()
    sessions = scenario.sign_in(live_server.url, scenario.OPERATORS + scenario.ANALYSTS)
    assert set(sessions) == {*scenario.OPERATORS, *scenario.ANALYSTS} and all(sessions.values())

    argv = [sys.executable, "-m", "loadtest.smoke", "--host", live_server.url, "--rounds", "2"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TSUR_LOAD_SEED": "3", scenario.SESSIONS_ENV: json.dumps(sessions)}
    done = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert "/accounts/login/ [POST]" not in counts and counts["/workspace/ [queue]"] == [2, 0], counts
