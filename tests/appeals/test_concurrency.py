"""Two operators acting on the same appeal at the same moment, in real threads with their own
database connections: one wins, the other gets a clear message, nothing is half-written."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.factories import build_world, new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal, Event, Status
from tsur.core.errors import ConcurrentUpdate, TransitionNotAllowed


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_simultaneous_actions_win():
    w = build_world()
    a = new_appeal(w)
    a.refresh_from_db()
    seen = a.version
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def act(fn):
        try:
            barrier.wait(timeout=10)
            fn()
            outcomes.append("ok")
        except (ConcurrentUpdate, TransitionNotAllowed) as exc:
            outcomes.append(exc.message)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=act, args=(lambda: services.route_appeal(a.pk, w.operator, expected_version=seen),)),
        threading.Thread(
            target=act, args=(lambda: services.reject_appeal(a.pk, w.operator, reason_code="spam", expected_version=seen),)
        ),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(o == "ok" for o in outcomes) == [False, True], outcomes
    loser = next(o for o in outcomes if o != "ok")
    assert "другой пользователь" in loser or "невозможно" in loser
    a.refresh_from_db()
    assert a.status in (Status.ROUTED, Status.REJECTED)
    assert a.version == seen + 1
    # Exactly one transition event after moderation; the loser wrote nothing.
    assert Event.objects.filter(appeal=a, kind__in=["route", "reject"]).count() == 1
    assert Appeal.objects.count() == 1


def test_it_runs_on_the_database_ci_asked_for(db):
    import os

    if os.environ.get("TSUR_REQUIRE_POSTGRES") == "1":
        assert connection.vendor == "postgresql"
    else:
        assert connection.vendor in ("sqlite", "postgresql")
