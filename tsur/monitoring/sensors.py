"""Sensor readings → events, with thresholds and hysteresis per metric (the source's mapping,
`metrics`; the rule itself is `thresholds.Metric.alarm_after`).

Per sensor and metric a `SensorState` remembers whether it is in alarm, the last value and its
time. A reading past the threshold opens an event (state active); a reading back within the clear
levels closes it (a new version: state resolved, resolved_at = the reading's time); in between
nothing changes but the remembered value. The present is what the newest reading says: a reading
older than the state's (a sensor's buffer sent after a reconnect) is kept as a version of the
sensor's latest event, not applied, and counted as late; it never flips the state back. A reading
with the same time as the state's is the same reading sent again (a duplicate), or, with another
value, a conflict.
"""

from __future__ import annotations

from typing import Any

from tsur.monitoring.batch import Batch
from tsur.monitoring.mapping import ItemError, Mapping, Normalised, number_ru
from tsur.monitoring.models import EventState

# What taking one reading did, as intake counts it.
OPENED, CLOSED, TAKEN, LATE, DUPLICATE = "opened", "closed", "taken", "late", "duplicate"


def _value(value: float, unit: str) -> str:
    return f"{number_ru(value)} {unit}".strip()


def take(batch: Batch, mapping: Mapping, n: Normalised, obj: Any, raw: str, territory_id: int | None) -> str:
    """Apply one reading to its sensor's state; raise ItemError for a conflicting duplicate."""
    reading = n.reading
    assert reading is not None
    metric = mapping.metrics[reading.metric]
    state = batch.state_for(reading.sensor, reading.metric)
    event = batch.event_of(state)
    if state.read_at is not None and n.occurred_at <= state.read_at:
        if n.occurred_at == state.read_at:
            if state.value == reading.value:
                return DUPLICATE
            raise ItemError(
                "version_conflict",
                f"Показание датчика на это время уже получено с другим значением ({_value(state.value or 0, reading.unit)}).",
                mapping.where("occurred_at"),
            )
        if event is None:
            return LATE  # nothing to attach it to, and the present stays as the newer reading said
        n.state = EventState.RESOLVED if event.state == EventState.RESOLVED and not metric.alarm_after(reading.value, False) else EventState.ACTIVE
        n.kind = batch.kind_code(event)
        if batch.same_version(event, n, obj, raw) == "duplicate":
            return DUPLICATE
        batch.keep_late(event, n, raw, territory_id)
        return LATE
    alarm = metric.alarm_after(reading.value, state.alarm)
    outcome = TAKEN
    if alarm and not state.alarm:
        n.kind = metric.kind
        n.state = EventState.ACTIVE
        n.title = n.title or f"{metric.label[:1].upper()}{metric.label[1:]}: {_value(reading.value, reading.unit)} — {metric.breach(reading.value)}"
        n.details = {
            "Датчик": reading.sensor,
            "Показатель": metric.label,
            "Значение при срабатывании": _value(reading.value, reading.unit),
            **n.details,
        }
        event = batch.create(n, raw, territory_id)
        batch.state_changed(state, event)
        outcome = OPENED
    elif state.alarm and not alarm and event is not None:
        n.kind = batch.kind_code(event)
        n.state = EventState.RESOLVED
        n.resolved_at = n.occurred_at
        n.details = {**event.details, "Значение при восстановлении": _value(reading.value, reading.unit)}
        opened_at = event.occurred_at
        batch.apply(event, n, raw, territory_id, keep=("title", "address", "lat", "lon", "cell", "territory_id"))
        event.occurred_at = opened_at  # the event is the excursion: it began when it opened
        outcome = CLOSED
    state.alarm, state.value, state.read_at = alarm, reading.value, n.occurred_at
    batch.state_changed(state)
    return outcome
