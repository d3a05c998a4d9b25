"""The matcher's background work: the database row is the record (an event with matched_at null,
a PendingAppeal), so what a lost message left behind is done by the sweeper a minute later."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.helpers import T0, event, heating_appeal, pressure_kind
from tsur.core import clock
from tsur.monitoring import matching, tasks
from tsur.monitoring.events import events_recorded
from tsur.monitoring.models import Link, MonitoringEvent, PendingAppeal

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


@pytest.fixture
def lost(settings, monkeypatch):
    """A broker that loses every message (the Celery path, with `delay` dropping it)."""
    from tsur.core.tasks import registered

    settings.CELERY_TASK_ALWAYS_EAGER = False
    for task in registered().values():
        monkeypatch.setattr(task, "delay", lambda *args: None)


def test_a_recorded_event_is_matched_by_its_subscriber(world):
    from django.db import transaction

    a = heating_appeal(world, T0 + H)
    e = event(pressure_kind(world), T0)
    with transaction.atomic():
        events_recorded.publish([e.pk])
    assert Link.objects.get().appeal_id == a.pk
    assert MonitoringEvent.objects.get(pk=e.pk).matched_at is not None


def test_the_sweeper_does_what_a_lost_message_left(world, lost, settings):
    from django.db import transaction

    kind = pressure_kind(world)
    with clock.at(T0 + H):
        a = heating_appeal(world, T0 + H)
        # The appeal's follow-up is a message too (lost here; its own sweeper sends it again):
        # what its subscriber records before enqueueing the match, done as it would.
        matching.mark_appeals([a.pk])
    assert PendingAppeal.objects.filter(appeal=a).exists()  # recorded before the (lost) message
    e = event(kind, T0, received_at=T0 + H)  # late: received an hour after it occurred
    with transaction.atomic():
        events_recorded.publish([e.pk])
    assert not Link.objects.exists()
    # Within the minute the sweeper leaves it to the message; after it, it enqueues again.
    assert tasks.requeue(T0 + H + dt.timedelta(seconds=30)) == 0
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert tasks.requeue(T0 + H + dt.timedelta(minutes=2)) == 2
    assert Link.objects.get().appeal_id == a.pk
    assert not PendingAppeal.objects.exists()
    assert MonitoringEvent.objects.get(pk=e.pk).matched_at is not None
    assert tasks.requeue(T0 + H + dt.timedelta(minutes=3)) == 0
