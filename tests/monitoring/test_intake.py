"""`ingest`: idempotent on (source, external id), versions by the event's own time or the
source's version number, late versions kept but not applied, the future refused, each item
whole or refused with a reason, nothing stored when the database fails mid-batch."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.db import DatabaseError

from tests.monitoring.conftest import NOW, example
from tsur.core import clock
from tsur.monitoring import batch as batch_module
from tsur.monitoring.events import events_recorded
from tsur.monitoring.intake import ingest
from tsur.monitoring.models import EventVersion, MonitoringEvent, Reject, Source

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def run(source: Source, items: list, at: dt.datetime = NOW):
    with clock.at(at):
        return ingest(source, items)


def card(n: int = 1, **fields) -> dict:
    item = example("kaluga-112")
    item["card_id"] = f"112-{n:05d}"
    item.update(fields)
    return item


def case(revision: int, status: str = "проверка", closed: str | None = None) -> dict:
    item = example("kaluga-gzhi")
    item["case"].update(revision=revision, status=status, closed=closed)
    return item


def test_it_stores_a_batch_with_versions_cells_and_territories(sources):
    result = run(sources.call112, [card(i) for i in range(50)])
    assert (result.accepted, result.updated, result.duplicates, result.rejected) == (50, 0, 0, [])
    assert MonitoringEvent.objects.count() == 50 and EventVersion.objects.count() == 50
    event = MonitoringEvent.objects.get(external_id="112-00003")
    assert event.kind.code == "call112-heating" and event.state == "active" and event.version == 1
    assert event.territory == sources.city and len(event.cell) == 15
    assert event.occurred_at == dt.datetime(2026, 12, 5, 4, 42, 10, tzinfo=dt.UTC)
    assert event.received_at == NOW
    assert event.details == {"Направленные службы": "ЕДДС г. Калуги, Аварийная служба теплосетей", "Принявшая ЕДДС": "ЕДДС г. Калуги"}
    sources.call112.refresh_from_db()
    assert sources.call112.last_event_at == NOW


def test_the_same_items_again_change_nothing(sources):
    run(sources.call112, [card(1), card(2)])
    before = list(MonitoringEvent.objects.order_by("pk").values())
    again = run(sources.call112, [card(1), card(2)], at=NOW + dt.timedelta(minutes=5))
    assert (again.accepted, again.updated, again.duplicates, again.event_ids) == (0, 0, 2, [])
    assert list(MonitoringEvent.objects.order_by("pk").values()) == before
    assert EventVersion.objects.count() == 2


def test_a_duplicate_is_told_by_its_data_not_its_spelling(sources):
    run(sources.call112, [json.dumps(card(1), ensure_ascii=False)])
    respaced = json.dumps(card(1), ensure_ascii=True, indent=2)
    assert run(sources.call112, [respaced]).duplicates == 1


def test_the_same_version_with_other_data_is_a_conflict(sources):
    run(sources.call112, [card(1)])
    result = run(sources.call112, [card(1, description="Другое описание")])
    assert [(r.code, r.field) for r in result.rejected] == [("version_conflict", "upd_time")]
    assert MonitoringEvent.objects.get().title == card(1)["description"]
    assert Reject.objects.get().code == "version_conflict"


def test_a_newer_version_updates_the_event_and_is_published(sources):
    published: list[int] = []
    events_recorded.subscribe(published.extend, uid="test-intake")
    try:
        run(sources.call112, [card(1)])
        closing = card(1, card_status="ЗАКРЫТА", upd_time="2026-12-05T11:00:00+03:00", close_time="2026-12-05T11:00:00+03:00")
        result = run(sources.call112, [closing], at=NOW + dt.timedelta(minutes=1))
    finally:
        events_recorded.unsubscribe("test-intake")
    event = MonitoringEvent.objects.get()
    assert result.updated == 1 and result.event_ids == [event.pk] and published == [event.pk, event.pk]
    assert (event.state, event.version, event.resolved_at) == ("resolved", 2, dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC))
    assert event.version_at == event.resolved_at and event.received_at == NOW
    assert [v.version for v in event.versions.all()] == [1, 2]


def test_a_late_version_is_kept_and_changes_nothing(sources):
    closing = card(1, card_status="ЗАКРЫТА", upd_time="2026-12-05T11:00:00+03:00", close_time="2026-12-05T11:00:00+03:00")
    run(sources.call112, [closing])
    progress = card(1, card_status="В_РАБОТЕ", upd_time="2026-12-05T09:00:00+03:00")
    result = run(sources.call112, [progress])
    assert (result.late, result.updated, result.event_ids) == (1, 0, [])
    event = MonitoringEvent.objects.get()
    assert (event.state, event.version) == ("resolved", 1)
    late = event.versions.get(version=2)
    assert late.state == "active" and late.normalised["applied"] is False and json.loads(late.payload) == progress
    assert run(sources.call112, [progress]).duplicates == 1  # the late one again


def test_versions_within_one_batch_are_ordered_by_their_own_time(sources):
    opened = card(1)
    closed = card(1, card_status="ЗАКРЫТА", upd_time="2026-12-05T11:00:00+03:00", close_time="2026-12-05T11:00:00+03:00")
    result = run(sources.call112, [closed, opened])
    assert (result.accepted, result.late) == (1, 1)
    assert MonitoringEvent.objects.get().state == "resolved"


def test_an_explicit_version_number_decides_what_is_newer(sources):
    run(sources.gzhi, [case(2, "закрыто", closed="2026-12-04T15:00:00+03:00")])
    result = run(sources.gzhi, [case(1)])
    assert result.late == 1
    event = MonitoringEvent.objects.get()
    assert event.state == "resolved" and event.territory == sources.city
    reopened = case(3, "предписание")
    assert run(sources.gzhi, [reopened]).updated == 1
    event.refresh_from_db()
    assert (event.state, event.resolved_at, event.version) == ("active", None, 3)


def test_events_from_the_future_are_refused_within_the_skew_allowed(sources, settings):
    settings.TSUR_MONITORING_FUTURE_SKEW_SECONDS = 300
    soon = card(1, reg_time="2026-12-05T12:04:00+03:00", upd_time="2026-12-05T12:04:00+03:00")
    later = card(2, reg_time="2026-12-05T12:06:00+03:00", upd_time="2026-12-05T12:06:00+03:00")
    result = run(sources.call112, [soon, later])
    assert result.accepted == 1
    assert [(r.index, r.external_id, r.code, r.field) for r in result.rejected] == [(1, "112-00002", "future", "reg_time")]
    assert "05.12.2026 12:06" in result.rejected[0].message  # Moscow time, as the source sent it


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"card_id": None}, "missing_field", "card_id"),
        ({"reg_time": "2026-12-05 07:42"}, "bad_time", "reg_time"),
        ({"reg_time": 1796449330000}, "bad_time", "reg_time"),
        ({"incident_type": "НЛО"}, "unknown_kind", "incident_type"),
        ({"card_status": "ПОТЕРЯНА"}, "unknown_state", "card_status"),
        ({"lat": 95.0}, "bad_coordinates", "lat"),
        ({"lon": None}, "bad_coordinates", "lon"),
        ({"lat": "север"}, "bad_coordinates", "lat"),
        ({"address": {"street": "Ленина"}}, "bad_value", "address"),
        ({"card_id": "x" * 201}, "too_long", "card_id"),
    ],
)
def test_a_malformed_item_is_refused_with_its_reason_and_the_rest_stored(sources, change, code, field):
    bad = card(2)
    bad.update(change)
    result = run(sources.call112, [card(1), bad, card(3)])
    assert result.accepted == 2
    assert [(r.index, r.code, r.field) for r in result.rejected] == [(1, code, field)]
    assert result.rejected[0].message and not result.rejected[0].message.isascii()
    reject = Reject.objects.get()
    assert (reject.source, reject.code, reject.received_at) == (sources.call112, code, NOW)
    assert json.loads(reject.payload) == bad
    assert sorted(MonitoringEvent.objects.values_list("external_id", flat=True)) == ["112-00001", "112-00003"]


def test_text_that_is_not_json_is_refused_and_kept_as_sent(sources):
    result = run(sources.call112, ['{"card_id": "1", ', "[1, 2]"])
    assert [(r.code, r.field) for r in result.rejected] == [("malformed", ""), ("malformed", "")]
    assert "некорректный JSON" in result.rejected[0].message
    assert Reject.objects.order_by("pk").first().payload == '{"card_id": "1", '


def test_an_unknown_territory_code_is_refused(sources):
    bad = case(1)
    bad["object"]["oktmo"] = "00000000"
    result = run(sources.gzhi, [bad])
    assert [(r.code, r.field) for r in result.rejected] == [("unknown_territory", "object.oktmo")]


def test_a_point_outside_every_boundary_has_no_territory(sources):
    run(sources.call112, [card(1, lat=60.0, lon=30.0)])
    assert MonitoringEvent.objects.get().territory is None


def test_a_database_error_mid_batch_stores_nothing(sources, monkeypatch):
    real = batch_module.update_rows

    def failing(model, rows, names):
        real(model, rows, names)
        raise DatabaseError("the disk is full")

    run(sources.call112, [card(1)])
    monkeypatch.setattr(batch_module, "update_rows", failing)
    closing = card(1, card_status="ЗАКРЫТА", upd_time="2026-12-05T11:00:00+03:00", close_time="2026-12-05T11:00:00+03:00")
    with pytest.raises(DatabaseError):
        run(sources.call112, [closing, card(2), {"card_id": "bad"}])
    assert list(MonitoringEvent.objects.values_list("external_id", "state", "version")) == [("112-00001", "active", 1)]
    assert EventVersion.objects.count() == 1 and Reject.objects.count() == 0


def test_a_base64_frame_is_stored_as_a_file_and_an_address_kept_as_is(sources, settings):
    item = example("kaluga-safe-city")
    framed = dict(item, detection_id="SC-2", frame="data:image/png;base64," + base64.b64encode(PNG).decode())
    result = run(sources.camera, [item, framed])
    assert result.accepted == 2
    by_id = {e.external_id: e for e in MonitoringEvent.objects.all()}
    assert by_id[item["detection_id"]].details["Кадр"] == item["frame"] and not by_id[item["detection_id"]].image
    stored = by_id["SC-2"].image
    assert stored.name.startswith("monitoring/2026/12/kaluga-safe-city-") and stored.name.endswith(".png")
    assert stored.read() == PNG


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (base64.b64encode(b"GIF89a" + b"\x00" * 10).decode(), "bad_image"),
        ("not base64 at all!", "bad_image"),
        (base64.b64encode(b"\xff\xd8\xff" + b"\x00" * 2_000_000).decode(), "image_too_large"),
        ({"url": "x"}, "bad_image"),
    ],
)
def test_a_bad_frame_is_refused(sources, frame, code):
    item = dict(example("kaluga-safe-city"), frame=frame)
    result = run(sources.camera, [item])
    assert [(r.code, r.field) for r in result.rejected] == [(code, "frame")]
    assert MonitoringEvent.objects.count() == 0


def test_a_frame_of_a_batch_that_failed_is_removed(sources, monkeypatch, settings):
    framed = dict(example("kaluga-safe-city"), frame=base64.b64encode(PNG).decode())

    def failing(*args, **kwargs):
        raise DatabaseError("gone")

    monkeypatch.setattr(batch_module, "copy_plain", failing)
    with pytest.raises(DatabaseError):
        run(sources.camera, [framed])
    media = settings.MEDIA_ROOT / "monitoring"
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
