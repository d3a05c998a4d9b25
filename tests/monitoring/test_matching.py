"""Matching events and appeals: place, time and topic, both ways, explained, batched; the
operators' decisions stay."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import new_appeal
from tests.monitoring.helpers import LAT, LON, T0, event, metres_north, pressure_kind
from tsur.core import clock
from tsur.monitoring import matching
from tsur.monitoring.models import Link, LinkStatus, MonitoringEvent

pytestmark = pytest.mark.django_db


def heating_appeal(w, at: dt.datetime, **kwargs):
    data = {"text": "В квартире холодно, батареи еле тёплые", "category_code": "heating", "territory_code": "city", "lat": LAT, "lon": LON}
    data.update(kwargs)
    with clock.at(at):
        return new_appeal(w, **data)


def test_it_links_an_event_with_an_appeal_near_in_place_time_and_topic(world):
    kind = pressure_kind(world)
    a = heating_appeal(world, T0 + dt.timedelta(hours=3), lat=metres_north(LAT, 120))
    e = event(kind, T0)
    assert matching.match_pending() == 1
    link = Link.objects.get()
    assert (link.event_id, link.appeal_id, link.status) == (e.pk, a.pk, LinkStatus.AUTO)
    assert link.reason == (
        "в 120 м от события, через 3 часа после него, категория «Нет отопления» соответствует виду события «Падение давления в теплосети»"
    )
    assert 0.8 < link.score <= 1
    assert MonitoringEvent.objects.get(pk=e.pk).matched_at is not None
    assert matching.match_pending() == 0
