"""A source's mapping: dotted paths, times, kinds and states as data, a broken configuration told
apart from a bad item, and a new source that needs nothing but its JSON."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.monitoring.conftest import NOW
from tsur.core import clock
from tsur.monitoring.intake import ingest
from tsur.monitoring.mapping import ItemError, Mapping, MappingError, parse_time
from tsur.monitoring.models import EventKind, MonitoringEvent, Source

BASE = {"fields": {"external_id": "id", "occurred_at": "at"}, "default_kind": "k"}


def test_paths_reach_into_objects_and_lists():
    mapping = Mapping.compile(
        {
            "fields": {"external_id": "meta.ids.0", "occurred_at": "at", "kind": "what.type", "lat": "pos.1", "lon": "pos.0", "title": "text"},
            "kinds": {"A": "kind-a"},
            "details": [{"path": "crew.names", "label": "Экипаж"}, {"path": "absent", "label": "Нет"}],
        }
    )
    n = mapping.normalise(
        {
            "meta": {"ids": ["x-1", "x-2"]},
            "at": "2026-12-05T10:00:00Z",
            "what": {"type": "A"},
            "pos": [36.2, 54.5],
            "text": " Пожар ",
            "crew": {"names": ["А", "Б"]},
        }
    )
    assert (n.external_id, n.kind, n.lat, n.lon, n.title) == ("x-1", "kind-a", 54.5, 36.2, "Пожар")
    assert n.details == {"Экипаж": "А, Б"}
    assert n.version_at == n.occurred_at == dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-12-05T13:00:00+03:00", dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)),
        ("2026-12-05T10:00:00Z", dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)),
        (1796464800, dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)),
        ("1796464800", dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC)),
        (1796464800.5, dt.datetime(2026, 12, 5, 10, 0, 0, 500000, tzinfo=dt.UTC)),
    ],
)
def test_times_are_iso_with_an_offset_or_epoch_seconds(value, expected):
    assert parse_time(value, "at") == expected


@pytest.mark.parametrize("value", ["2026-12-05T10:00:00", "завтра", True, 1796464800000, [1], "1e400"])
def test_other_times_are_refused(value):
    with pytest.raises(ItemError) as caught:
        parse_time(value, "at")
    assert caught.value.code == "bad_time" and caught.value.field == "at"


def test_the_state_words_of_a_source_are_its_own():
    mapping = Mapping.compile(
        {**BASE, "fields": {**BASE["fields"], "state": "st", "resolved_at": "end"}, "states": {"Закрыт": "resolved", "Открыт": "active"}}
    )
    n = mapping.normalise({"id": "1", "at": 1796464800, "st": "Закрыт", "end": 1796468400})
    assert n.state == "resolved" and n.resolved_at == n.version_at == dt.datetime(2026, 12, 5, 11, tzinfo=dt.UTC)
    with pytest.raises(ItemError) as caught:
        mapping.normalise({"id": "1", "at": 1796464800, "st": "resolved"})
    assert caught.value.code == "unknown_state"


@pytest.mark.parametrize(
    "spec",
    [
        {"fields": {"occurred_at": "at"}, "default_kind": "k"},  # no external id
        {"fields": {"external_id": "id"}, "default_kind": "k"},  # no time
        {"fields": {"external_id": "id", "occurred_at": "at"}},  # no kind at all
        {**BASE, "fields": {**BASE["fields"], "colour": "c"}},  # a field nobody reads
        {**BASE, "states": {"x": "closed"}},
        {**BASE, "territory_by": "fias"},
        {**BASE, "details": [{"path": "x"}]},
        {"fields": {"occurred_at": "t"}, "sensor": {"id": "s", "value": "v"}, "metrics": {"p": {"kind": "k", "low": 2, "low_clear": 1}}},
        {"fields": {"occurred_at": "t"}, "sensor": {"id": "s", "value": "v"}, "metrics": {"p": {"kind": "k"}}},
        {"fields": {"occurred_at": "t"}, "sensor": {"value": "v"}, "metrics": {"p": {"kind": "k", "low": 1}}},
        [],
    ],
)
def test_a_broken_configuration_is_the_administrators_error(spec):
    with pytest.raises(MappingError):
        Mapping.compile(spec)


def test_a_new_kind_of_source_is_configuration_only(sources):
    """A fifth system (a regional hydrometeorological network's flood gauges) with its own field
    names: a kind row, a source row with its mapping, and its events come in."""
    EventKind.objects.create(code="flood-level", source_kind="sensor", name="Подъём уровня воды", resolution="readings_normal")
    gauges = Source.objects.create(
        code="hydromet",
        name="Гидропосты",
        kind="sensor",
        mapping={
            "fields": {"occurred_at": "obs.time", "lat": "post.coords.1", "lon": "post.coords.0", "address": "post.river"},
            "sensor": {"id": "post.code", "value": "obs.level_cm"},
            "metrics": {
                "LEVEL": {"label": "уровень воды", "unit": "см", "kind": "flood-level", "high": 450, "high_clear": 420, "min": -100, "max": 1500}
            },
        },
    )
    item = {
        "post": {"code": "ГП-Ока-3", "coords": [36.25, 54.51], "river": "р. Ока, Калуга"},
        "obs": {"time": "2026-12-05T09:00:00+03:00", "level_cm": 470},
    }
    with clock.at(NOW):
        result = ingest(gauges, [item])
    assert result.accepted == 1
    event = MonitoringEvent.objects.get(source=gauges)
    assert event.kind.code == "flood-level" and event.territory == sources.city and event.address == "р. Ока, Калуга"
    assert event.title == "Уровень воды: 470 см — выше нормы (порог 450 см)"
