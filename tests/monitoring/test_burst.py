"""The heating-main burst end to end: the simulator's steps through the real intake and appeal
services, the matcher and the points of tension react, and the replay yields exactly one point
of tension that links the sensor events, the 112 calls and the residents' appeals, explained with
the objective confirmation, and then its objective closure."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_user
from tests.monitoring.conftest import MSK
from tsur.accounts.models import Role
from tsur.analytics.filters import Filters
from tsur.appeals.models import Appeal
from tsur.appeals.services import NewAppeal, create_appeals
from tsur.core import clock, tasks
from tsur.monitoring.models import EventState, Link, LinkRole, LinkStatus, MonitoringEvent, SensorState
from tsur.monitoring.queries import evidence_for_appeals
from tsur.monitoring.simulate import burst, deliver
from tsur.monitoring.simulate.places import CITY_PLACES
from tsur.tension import queries as tension_queries
from tsur.tension.models import TensionPoint

pytestmark = pytest.mark.django_db

T = dt.datetime(2026, 12, 1, 6, 40, tzinfo=MSK)  # the failure
SEED = 11


def quiet_baseline(days: int = 70) -> int:
    """Ten weeks before the burst: now and then a heating complaint somewhere in the city (one
    every third day or so), as the tension tests build their history."""
    rng = random.Random(5)
    items = []
    for n in range(days, 0, -1):
        if rng.random() < 0.35:
            place = rng.choice(CITY_PLACES)
            items.append(
                NewAppeal(
                    channel="widget", text=f"Слабо греют батареи в квартире, {place.short}", category_code="housing-heating-mkd",
                    address=place.address, lat=place.lat, lon=place.lon, received_at=T - dt.timedelta(days=n, hours=rng.randint(0, 10)),
                )
            )  # fmt: skip
    with clock.at(T - dt.timedelta(days=1)):
        create_appeals(items)
    return len(items)


def replay(until: dt.datetime) -> deliver.Totals:
    steps = [s for s in burst.timeline(T, SEED).steps if s.at <= until]
    return deliver.run_steps(steps, deliver.InProcess())


def live_points(at: dt.datetime, *, include_closed: bool = False) -> list[TensionPoint]:
    day = at.date()
    return tension_queries.points(Filters(date_from=day - dt.timedelta(days=7), date_to=day), include_closed=include_closed)


def page(user, name: str, arg, at: dt.datetime) -> str:
    c = Client()
    c.force_login(user)
    with clock.at(at):
        response = c.get(reverse(f"workspace:{name}", args=[arg]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_is_seeded_and_time_explicit():
    a, b = burst.timeline(T, SEED), burst.timeline(T, SEED)
    assert [(s.at, s.items, s.messages) for s in a.steps] == [(s.at, s.items, s.messages) for s in b.steps]
    assert a.steps != burst.timeline(T, SEED + 1).steps
    assert [s.at for s in a.steps] == sorted(s.at for s in a.steps)
    assert a.count("messages") == 36
    assert a.count("kaluga-112") == 21  # 7 cards: registered, in work, closed
    assert a.steps[0].at == T - dt.timedelta(hours=2)


def test_it_yields_one_point_linking_sensors_calls_and_appeals_then_its_objective_closure(sources):
    quiet_baseline()
    repair = T + dt.timedelta(hours=18)

    # The failure and the first day: the sensors in alarm, the calls and the messages.
    totals = replay(repair - dt.timedelta(minutes=1))
    assert totals.appeals == 36 and not totals.appeals_refused
    assert not totals.rejected, totals.rejected
    sensor_events = list(MonitoringEvent.objects.filter(source=sources.sensors).order_by("pk"))
    assert [(e.details["Датчик"], e.kind.code, e.state) for e in sensor_events] == [
        ("TS-KLG-017", "sensor-heat-pressure-drop", EventState.ACTIVE),
        ("TS-KLG-017", "sensor-heat-temperature-drop", EventState.ACTIVE),
        ("TS-KLG-021", "sensor-heat-pressure-drop", EventState.ACTIVE),
    ]
    calls = list(MonitoringEvent.objects.filter(source=sources.call112))
    assert len(calls) == 7 and {c.kind.code for c in calls} == {"call112-heating"}
    burst_appeals = set(Appeal.objects.filter(external_id__startswith=f"burst-{SEED}-").values_list("pk", flat=True))
    assert len(burst_appeals) == 36

    with clock.at(repair - dt.timedelta(minutes=1)):
        tasks.tick()
        points = live_points(repair)
    assert len(points) == 1, [(p.level, p.place, p.topic_code, p.explanation) for p in points]
    point = points[0]
    members = {pk for p in point.group.members for pk in p.appeals.values_list("pk", flat=True)}
    assert burst_appeals <= members
    assert "подтверждено объективным контролем" in point.explanation

    # Every burst appeal is linked with the sensor events and the calls, each link explained.
    links = Link.objects.filter(appeal_id__in=burst_appeals).exclude(status=LinkStatus.REJECTED).select_related("event__source")
    by_appeal: dict[int, set[str]] = {}
    for lk in links:
        by_appeal.setdefault(lk.appeal_id, set()).add(lk.event.source.code)
        assert lk.reason and 0 < lk.score <= 1
        assert lk.role == LinkRole.CONFIRMS
    assert set(by_appeal) == burst_appeals
    assert all({"kaluga-sensors", "kaluga-112"} <= kinds for kinds in by_appeal.values())
    assert all(e.confirmed and not e.proven for e in evidence_for_appeals(burst_appeals).values())

    # The point's page lists the events behind it; an appeal's card shows the confirmation.
    operator = make_user("center-operator", Role.REGIONAL_OPERATOR)
    html = page(operator, "center_tension_point", point.pk, repair)
    assert "Объективный контроль" in html and "Давление в подающем трубопроводе теплосети" in html and "Нет отопления" in html
    assert "Объективное закрытие" not in html
    one = Appeal.objects.filter(pk__in=burst_appeals).order_by("pk").first()
    card = page(operator, "card", one.number, repair)
    assert "Объективный контроль" in card and "Подтверждено объективным контролем" in card

    # The repair: the readings come back (the hysteresis closes the sensor events), the case closes.
    totals = replay(repair + dt.timedelta(hours=30))
    assert list(MonitoringEvent.objects.filter(source=sources.sensors).values_list("state", flat=True)) == [EventState.RESOLVED] * 3
    assert not SensorState.objects.filter(alarm=True).exists()
    gzhi = MonitoringEvent.objects.get(source=sources.gzhi)
    assert gzhi.state == EventState.RESOLVED
    closing = Link.objects.filter(appeal_id__in=burst_appeals, event__source=sources.sensors, role=LinkRole.CLOSES)
    assert closing.count() == Link.objects.filter(appeal_id__in=burst_appeals, event__source=sources.sensors).count() > 0
    evidence = evidence_for_appeals(burst_appeals)
    assert all(e.proven and "Устранение подтверждено" in e.proof_label for e in evidence.values())
    after = repair + dt.timedelta(hours=31)
    assert "Объективное закрытие: все связанные события завершены" in page(operator, "center_tension_point", point.pk, after)
    assert "Устранение подтверждено" in page(operator, "card", one.number, after)

    # Once the burst has left the windows and no new complaints come the point resolves: the episode is closed, still one.
    later = repair + dt.timedelta(days=10)  # the burst leaves the 7-day windows, then 2 quiet days
    with clock.at(later):
        tasks.tick()
        assert live_points(later) == []
        closed = live_points(later, include_closed=True)
    assert len(closed) == 1 and closed[0].pk == point.pk
    assert TensionPoint.objects.get(pk=point.pk).state == "resolved"
