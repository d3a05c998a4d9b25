"""Sensor readings → events: thresholds with hysteresis both ways, impossible readings refused,
readings out of order kept without rewriting the present."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.conftest import NOW, example
from tsur.core import clock
from tsur.monitoring.intake import ingest
from tsur.monitoring.mapping import Mapping
from tsur.monitoring.models import EventVersion, MonitoringEvent, SensorState

T0 = int(dt.datetime(2026, 12, 5, 6, 0, tzinfo=dt.UTC).timestamp())


def reading(minute: int, value: float, param: str = "P_SUPPLY", device: str = "TS-KLG-017", unit: str = "МПа") -> dict:
    item = example("kaluga-sensors")
    item.update(device=device, param=param, val=value, unit=unit, ts=T0 + minute * 60)
    return item


def feed(sources, *items):
    with clock.at(NOW):
        return ingest(sources.sensors, list(items))


def state() -> SensorState:
    return SensorState.objects.get(sensor="TS-KLG-017", metric="P_SUPPLY")


def test_a_drop_past_the_threshold_opens_an_event_and_the_recovery_past_the_clear_level_closes_it(sources):
    assert feed(sources, reading(0, 0.62), reading(1, 0.40)).accepted == 2  # 0.40: above 0.35, no alarm
    assert MonitoringEvent.objects.count() == 0
    opened = feed(sources, reading(2, 0.30))
    assert (opened.accepted, len(opened.event_ids)) == (1, 1)
    event = MonitoringEvent.objects.get()
    assert (event.state, event.kind.code, event.occurred_at) == ("active", "sensor-heat-pressure-drop", dt.datetime(2026, 12, 5, 6, 2, tzinfo=dt.UTC))
    assert event.title == "Давление в подающем трубопроводе теплосети: 0,3 МПа — ниже нормы (порог 0,35 МПа)"
    assert event.details["Датчик"] == "TS-KLG-017" and event.details["Значение при срабатывании"] == "0,3 МПа"
    assert state().alarm and state().event == event
    # Between the threshold and the clear level nothing changes: no new event, no closing.
    between = feed(sources, reading(3, 0.38), reading(4, 0.44), reading(5, 0.34))
    assert (between.accepted, between.updated, between.event_ids) == (3, 0, [])
    event.refresh_from_db()
    assert (event.state, event.version) == ("active", 1) and MonitoringEvent.objects.count() == 1
    closed = feed(sources, reading(6, 0.46))
    assert closed.updated == 1 and closed.event_ids == [event.pk]
    event.refresh_from_db()
    assert (event.state, event.version) == ("resolved", 2)
    assert event.resolved_at == dt.datetime(2026, 12, 5, 6, 6, tzinfo=dt.UTC)
    assert event.occurred_at == dt.datetime(2026, 12, 5, 6, 2, tzinfo=dt.UTC)  # it began when it opened
    assert event.details["Значение при восстановлении"] == "0,46 МПа"
    assert not state().alarm and state().value == 0.46


def test_a_high_threshold_works_the_same_way_up(sources):
    feed(sources, reading(0, 1.2, "TURBIDITY", unit="ЕМФ"), reading(1, 3.0, "TURBIDITY", unit="ЕМФ"))
    event = MonitoringEvent.objects.get()
    assert event.kind.code == "sensor-water-quality" and "выше нормы (порог 2,6 ЕМФ)" in event.title
    feed(sources, reading(2, 2.3, "TURBIDITY", unit="ЕМФ"))  # below 2.6 but above the clear level 2.0
    assert MonitoringEvent.objects.get().state == "active"
    feed(sources, reading(3, 1.9, "TURBIDITY", unit="ЕМФ"))
    assert MonitoringEvent.objects.get().state == "resolved"


def test_a_second_excursion_is_a_second_event(sources):
    feed(sources, reading(0, 0.2), reading(1, 0.5), reading(2, 0.1), reading(3, 0.6))
    events = list(MonitoringEvent.objects.order_by("occurred_at").values_list("external_id", "state"))
    assert events == [("TS-KLG-017:P_SUPPLY:20261205T060000Z", "resolved"), ("TS-KLG-017:P_SUPPLY:20261205T060200Z", "resolved")]


@pytest.mark.parametrize(("value", "param", "unit"), [(-0.1, "P_SUPPLY", "МПа"), (3.0, "P_SUPPLY", "МПа"), (2500, "PM25", "мкг/м³")])
def test_a_physically_impossible_reading_is_refused_and_changes_nothing(sources, value, param, unit):
    feed(sources, reading(0, 0.6))
    result = feed(sources, reading(1, value, param, unit=unit))
    assert [(r.code, r.field) for r in result.rejected] == [("out_of_range", "val")]
    assert "физически невозможно" in result.rejected[0].message
    assert MonitoringEvent.objects.count() == 0 and state().value == 0.6


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"param": "P_GAS"}, "unknown_metric", "param"),
        ({"val": "много"}, "bad_value", "val"),
        ({"unit": "бар"}, "unit_mismatch", "unit"),
        ({"device": ""}, "missing_field", "device"),
    ],
)
def test_a_malformed_reading_is_refused_with_its_reason(sources, change, code, field):
    item = reading(0, 0.2)
    item.update(change)
    result = feed(sources, item)
    assert [(r.code, r.field) for r in result.rejected] == [(code, field)]


def test_a_late_reading_is_kept_but_does_not_flip_the_state_back(sources):
    feed(sources, reading(0, 0.2), reading(10, 0.6))  # opened at 0, closed at 10
    event = MonitoringEvent.objects.get()
    late = feed(sources, reading(5, 0.1))  # a buffered reading from the middle of the excursion
    assert (late.late, late.accepted, late.updated, late.event_ids) == (1, 0, 0, [])
    event.refresh_from_db()
    assert (event.state, event.version) == ("resolved", 2) and not state().alarm and state().value == 0.6
    kept = event.versions.get(version=3)
    assert kept.normalised["applied"] is False and kept.normalised["reading"]["value"] == 0.1
    assert feed(sources, reading(5, 0.1)).duplicates == 1
    assert EventVersion.objects.count() == 3


def test_a_late_alarm_before_any_event_does_not_open_one(sources):
    feed(sources, reading(10, 0.6))
    result = feed(sources, reading(5, 0.1))
    assert result.late == 1 and MonitoringEvent.objects.count() == 0 and not state().alarm


def test_the_same_reading_again_is_a_duplicate_and_another_value_for_the_same_time_a_conflict(sources):
    feed(sources, reading(0, 0.2))
    assert feed(sources, reading(0, 0.2)).duplicates == 1
    result = feed(sources, reading(0, 0.25))
    assert [(r.code, r.field) for r in result.rejected] == [("version_conflict", "ts")]
    assert MonitoringEvent.objects.count() == 1


def test_sensors_and_metrics_have_their_own_states(sources):
    feed(sources, reading(0, 0.2), reading(0, 0.6, device="TS-KLG-018"), reading(0, 50, "T_SUPPLY", unit="°C"))
    assert SensorState.objects.filter(alarm=True).count() == 2
    assert MonitoringEvent.objects.count() == 2


def test_hysteresis_as_a_rule():
    metric = Mapping.compile(
        {
            "fields": {"occurred_at": "t"},
            "sensor": {"id": "s", "value": "v"},
            "metrics": {"p": {"kind": "k", "low": 1, "low_clear": 2, "high": 9, "high_clear": 8}},
        }
    ).metrics["p"]
    assert [metric.alarm_after(v, False) for v in (0.9, 1.0, 1.5, 5, 9.0, 9.1)] == [True, False, False, False, False, True]
    assert [metric.alarm_after(v, True) for v in (0.9, 1.5, 1.99, 2.0, 5, 8.0, 8.5, 9.5)] == [True, True, True, False, False, False, True, True]
