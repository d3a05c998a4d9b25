"""Two batches with the same new events at the same moment (PostgreSQL: both read before either
writes): one stores them, the other meets the unique constraint, reads again and finds
duplicates. Nothing is stored twice and no item is lost; the same for a sensor's first reading."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.monitoring.conftest import NOW, example
from tsur.core import clock
from tsur.monitoring import batch as batch_module
from tsur.monitoring.intake import ingest
from tsur.monitoring.models import EventVersion, MonitoringEvent, SensorState


def race(monkeypatch, source, items) -> list:
    """Ingest `items` from two threads whose first attempts both read before either writes."""
    both_loaded = threading.Barrier(2, timeout=20)
    real_load = batch_module.Batch.load
    attempts = {"n": 0}
    lock = threading.Lock()

    def load_then_wait(self, external_ids, sensors):
        real_load(self, external_ids, sensors)
        with lock:
            attempts["n"] += 1
            first = attempts["n"] <= 2  # a retry does not wait again
        if first:
            both_loaded.wait()

    monkeypatch.setattr(batch_module.Batch, "load", load_then_wait)
    results, errors = [], []

    def send() -> None:
        try:
            with clock.at(NOW):
                results.append(ingest(source, items))
        except Exception as exc:  # reported by the caller's assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


@pytest.fixture
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time: batches cannot overlap there")


@pytest.mark.django_db(transaction=True)
def test_two_batches_racing_on_the_same_events_store_each_once(postgresql_only, sources, monkeypatch):
    cards = [dict(example("kaluga-112"), card_id=f"112-race-{i}") for i in range(30)]
    results = race(monkeypatch, sources.call112, cards)
    assert sorted((r.accepted, r.duplicates) for r in results) == [(0, 30), (30, 0)]
    assert MonitoringEvent.objects.count() == 30 and EventVersion.objects.count() == 30


@pytest.mark.django_db(transaction=True)
def test_two_batches_racing_on_a_sensors_first_reading_open_one_event(postgresql_only, sources, monkeypatch):
    reading = dict(example("kaluga-sensors"), val=0.2)
    results = race(monkeypatch, sources.sensors, [reading])
    assert sorted((r.accepted, r.duplicates) for r in results) == [(0, 1), (1, 0)]
    assert MonitoringEvent.objects.count() == 1 and SensorState.objects.get().alarm
