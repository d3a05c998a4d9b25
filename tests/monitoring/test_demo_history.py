"""The demo's monitoring history: three days of the four streams and a completed burst, all taken."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.conftest import NOW
from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.demo import monitoring_history
from tsur.monitoring.models import EventState, Link, LinkRole, MonitoringEvent, Reject

pytestmark = pytest.mark.django_db


def test_it_writes_streams_and_a_completed_burst(sources):
    with clock.at(NOW):
        counts = monitoring_history.load(NOW)
    assert counts["burst_appeals"] == 36 and counts["monitoring_events"] > 150
    assert not Reject.objects.exists()
    for source in (sources.camera, sources.call112, sources.gzhi, sources.sensors):
        assert MonitoringEvent.objects.filter(source=source).exists()
    burst = Appeal.objects.filter(external_id__startswith="burst-2026-")
    assert burst.count() == 36
    closing = Link.objects.filter(appeal__in=burst, event__source=sources.sensors)
    assert closing.exists() and not closing.exclude(role=LinkRole.CLOSES).exists()
    assert not MonitoringEvent.objects.filter(source=sources.sensors, details__Сеть="магистраль М-3", state=EventState.ACTIVE).exists()
    # The burst's chambers opened one event per metric, no flapping with the city's stream.
    failure = NOW - dt.timedelta(days=monitoring_history.BURST_DAYS_AGO, hours=12)
    chambers = MonitoringEvent.objects.filter(source=sources.sensors, details__Датчик__in=["TS-KLG-017", "TS-KLG-021"], occurred_at__gte=failure)
    burst_span = chambers.filter(occurred_at__lte=NOW - dt.timedelta(days=monitoring_history.BURST_DAYS_AGO - 2))
    assert burst_span.count() == 3


def test_without_the_sources_it_writes_nothing(db):
    assert monitoring_history.load(NOW) == {}
