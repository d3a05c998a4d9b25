"""Operators' corrections of the matcher: confirm, reject (with the reason), link by hand; who may;
each one an event in the appeal's log and a message to the points of tension."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.helpers import LAT, T0, event, heating_appeal, metres_north, pressure_kind
from tsur.appeals import services
from tsur.core.errors import AccessDenied, ValidationFailed
from tsur.monitoring import matching
from tsur.monitoring.events import evidence_changed
from tsur.monitoring.links import EVENT_LABELS, add_link, confirm_link, reject_link
from tsur.monitoring.models import Link, LinkStatus

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def linked(world):
    a = heating_appeal(world, T0 + H)
    e = event(pressure_kind(world), T0)
    matching.match_pending()
    return a, e, Link.objects.get()


@pytest.fixture
def told():
    seen: list[int] = []
    evidence_changed.subscribe(seen.extend, uid="tests.monitoring.links")
    yield seen
    evidence_changed.unsubscribe("tests.monitoring.links")


def test_it_confirms_a_link_and_logs_it(world, linked, told):
    a, _e, link = linked
    confirm_link(link, world.operator, "Жители того же дома")
    link.refresh_from_db()
    assert (link.status, link.decided_by, link.note) == (LinkStatus.CONFIRMED, world.operator, "Жители того же дома")
    logged = a.events.get(kind="monitoring_link_confirmed")
    assert logged.reason == "Событие «Падение давления в теплосети» (Датчики теплосети) относится к обращению: Жители того же дома"
    assert logged.actor == world.operator
    assert EVENT_LABELS[logged.kind] == "Связь с событием мониторинга подтверждена"
    assert told == [a.pk]


def test_a_rejection_needs_its_reason_and_stays_after_matching_again(world, linked, told):
    a, e, link = linked
    with pytest.raises(ValidationFailed) as refused:
        reject_link(link, world.operator, "  ")
    assert refused.value.message == "Укажите, почему событие не относится к обращению."
    assert Link.objects.get().status == LinkStatus.AUTO
    reject_link(link.pk, world.operator, "Другая котельная")
    assert a.events.get(kind="monitoring_link_rejected").reason.endswith("не относится к обращению: Другая котельная")
    e.matched_at = None
    e.save()
    matching.match_pending()
    matching.match_appeals([a.pk])
    assert Link.objects.get().status == LinkStatus.REJECTED
    assert told == [a.pk]


def test_an_operator_links_what_the_matcher_missed(world):
    a = heating_appeal(world, T0 + H)
    far = event(pressure_kind(world), T0, lat=metres_north(LAT, 3000))
    matching.match_pending()
    assert not Link.objects.exists()
    link = add_link(far, a, world.operator, "Та же магистраль, авария на ней")
    assert (link.status, link.score, link.reason) == (LinkStatus.CONFIRMED, 1.0, "связано оператором: Та же магистраль, авария на ней")
    assert a.events.filter(kind="monitoring_link_added").exists()
    # Linking a pair again changes nothing.
    assert add_link(far.pk, a.pk, world.operator).pk == link.pk
    assert Link.objects.count() == 1


def test_the_organisation_s_coordinator_may_but_others_may_not(world, linked):
    a, _e, link = linked
    with pytest.raises(AccessDenied):
        confirm_link(link, world.city_coordinator)  # not routed to the city yet
    services.route_appeal(a.pk, world.operator, organisation_code="city-admin")
    confirm_link(link, world.city_coordinator)
    for outsider in (world.coordinator, world.city_executor, world.analyst, world.resident):
        with pytest.raises(AccessDenied):
            reject_link(link, outsider, "не то")
    assert Link.objects.get().status == LinkStatus.CONFIRMED
