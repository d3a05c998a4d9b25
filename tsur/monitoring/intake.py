"""Event intake: what a source sent → stored events, versions and sensor states (the one door for
monitoring events; the API, the simulators and the benchmark all call `ingest`).

- Bulk: a batch is read with one query per table and written with one statement per table.
- Idempotent on (source, external id): the same item again changes nothing (a duplicate).
- An event's own time decides what is newer (or the source's version number, when its mapping has
  one): a newer version updates the event, an older one is stored as a version and applied to
  nothing. Events from the future (beyond `TSUR_MONITORING_FUTURE_SKEW_SECONDS`) are refused.
- Each item is either stored whole or refused with a `Reject` row (code, Russian reason, the
  start of the payload); the batch is one transaction, so a database error stores nothing.
- The raw item is kept untouched: the text of each item as the request carried it.
- After commit, `events_recorded` carries the ids of the events created or given a newer version.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tsur.core import clock
from tsur.monitoring import sensors
from tsur.monitoring.batch import Batch
from tsur.monitoring.events import events_recorded
from tsur.monitoring.mapping import ItemError, Mapping, Normalised, _get, _path
from tsur.monitoring.models import EventKind, Reject, Source
from tsur.monitoring.places import Places

log = logging.getLogger(__name__)
EXCERPT_CHARS = 1000
# What each refusal code means, for people (a source's health page, the shell).
REASONS = {
    "malformed": "не JSON-объект",
    "missing_field": "нет обязательного поля",
    "bad_time": "время не распознано",
    "future": "время в будущем",
    "unknown_kind": "вид события не настроен",
    "unknown_state": "состояние не настроено",
    "unknown_metric": "показатель не настроен",
    "unknown_territory": "территория не найдена",
    "out_of_range": "физически невозможное показание",
    "unit_mismatch": "не та единица измерения",
    "bad_value": "неверное значение поля",
    "bad_coordinates": "неверные координаты",
    "bad_image": "кадр не разобран",
    "image_too_large": "кадр слишком большой",
    "too_long": "слишком длинное значение",
    "version_conflict": "та же версия с другими данными",
}
ATTEMPTS = 3  # a concurrent batch that created the same event first: read again and retry


@dataclass(frozen=True, slots=True)
class Rejected:
    index: int
    external_id: str
    code: str
    message: str
    field: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "external_id": self.external_id, "code": self.code, "message": self.message, "field": self.field}


@dataclass
class IngestResult:
    accepted: int = 0  # new events, and sensor readings taken
    updated: int = 0  # newer versions applied (a case closed, readings back to normal)
    late: int = 0  # older versions and readings kept, applied to nothing
    duplicates: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)  # created or updated: what events_recorded carried

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "updated": self.updated,
            "late": self.late,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
        }


def future_skew() -> dt.timedelta:
    return dt.timedelta(seconds=getattr(settings, "TSUR_MONITORING_FUTURE_SKEW_SECONDS", 300))


def _raw(item: Any) -> tuple[str, Any]:
    """(the item's text as received, its parsed value); ItemError when it is not JSON."""
    if isinstance(item, bytes):
        try:
            item = item.decode("utf-8")
        except UnicodeDecodeError:
            raise ItemError("malformed", "Событие не в кодировке UTF-8.") from None
    if isinstance(item, str):
        try:
            return item, json.loads(item)
        except ValueError as exc:
            raise ItemError("malformed", f"Событие — некорректный JSON: {exc.msg} (позиция {exc.pos}).") from None
    return json.dumps(item, ensure_ascii=False), item


def _external_id_of(mapping_spec: dict, obj: Any) -> str:
    """The item's external id as far as it can be read (for the report of a refused item)."""
    try:
        path = _path((mapping_spec.get("fields") or {}).get("external_id"), "external_id")
    except ValueError:
        return ""
    value = _get(obj, path) if path and isinstance(obj, dict) else None
    return str(value)[:200] if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


@dataclass(slots=True)
class _Item:
    index: int
    raw: str
    obj: Any
    n: Normalised
    territory_id: int | None


def _prepare(
    source: Source,
    mapping: Mapping,
    items: Sequence[Any],
    received_at: dt.datetime,
    kinds: dict[str, EventKind],
    result: IngestResult,
    rejects: list[Reject],
) -> list[_Item]:
    """Parse and normalise every item (no writes): the good ones in order, the refused ones in
    `result.rejected` and `rejects` (the rows to store)."""
    places = Places()
    latest = received_at + future_skew()
    good: list[_Item] = []
    for index, item in enumerate(items):
        raw, obj, external_id = "", None, ""
        try:
            raw, obj = _raw(item)
            external_id = _external_id_of(source.mapping, obj)
            n = mapping.normalise(obj)
            external_id = n.external_id
            for name in ("occurred_at", "version_at", "resolved_at"):
                moment = getattr(n, name)
                if moment is not None and moment > latest:
                    raise ItemError(
                        "future",
                        f"Время события в будущем ({timezone_ru(moment)}): допускается расхождение часов "
                        f"не более {int(future_skew().total_seconds() // 60)} мин.",
                        mapping.where(name),
                    )
            kind = n.kind or (mapping.metrics[n.reading.metric].kind if n.reading else "")
            if kind not in kinds:
                raise ItemError("unknown_kind", f"Вид события «{kind}» не заведён в справочнике видов событий.", mapping.where("kind"))
            territory_id = None
            if n.territory:
                territory_id = places.by_key(n.territory, mapping.territory_by)
                if territory_id is None:
                    raise ItemError("unknown_territory", f"Территория «{n.territory[:60]}» не найдена в справочнике.", mapping.where("territory"))
            good.append(_Item(index, raw, obj, n, territory_id))
        except ItemError as exc:
            result.rejected.append(Rejected(index, external_id, exc.code, exc.message, exc.field))
            rejects.append(_reject_row(source, received_at, external_id, exc, raw or _excerpt(item)))
    # Territories from points, the whole batch at once (those the source did not name).
    located = [p for p in good if not p.n.territory and p.n.lat is not None and p.n.lon is not None]
    places.locate((p.n.lat, p.n.lon) for p in located)
    for p in located:
        p.territory_id = places.at(p.n.lat, p.n.lon)
    return good


def timezone_ru(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M")


def _excerpt(item: Any) -> str:
    try:
        return item if isinstance(item, str) else json.dumps(item, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(item)


def _reject_row(source: Source, received_at: dt.datetime, external_id: str, exc: ItemError, text: str) -> Reject:
    return Reject(
        source=source, received_at=received_at, external_id=external_id, code=exc.code, reason=exc.message[:300], payload=text[:EXCERPT_CHARS]
    )


def ingest(source: Source, items: Sequence[Any], *, received_at: dt.datetime | None = None) -> IngestResult:
    """Store what `source` sent: `items` are JSON texts of single events (kept byte for byte) or
    parsed objects (kept as their JSON). Raises `mapping.MappingError` if the source's own
    configuration is wrong (nothing is stored then)."""
    received_at = received_at or clock.now()
    mapping = Mapping.compile(source.mapping)
    kinds = {k.code: k for k in EventKind.objects.all()}
    for attempt in range(ATTEMPTS):
        result = IngestResult()
        rejects: list[Reject] = []
        prepared = _prepare(source, mapping, items, received_at, kinds, result, rejects)
        batch = Batch(source, kinds, received_at, explicit_versions="version" in mapping.paths)
        try:
            with transaction.atomic():
                _apply(batch, mapping, prepared, result, rejects)
                result.event_ids = batch.write()
                Reject.objects.bulk_create(rejects)
                if result.accepted or result.updated or result.late:
                    Source.objects.filter(pk=source.pk).update(last_event_at=received_at)
                    source.last_event_at = received_at
                events_recorded.publish(result.event_ids)
            return result
        except IntegrityError:
            batch.forget_files()
            if attempt == ATTEMPTS - 1:
                raise
            log.info("monitoring intake of source %s met a concurrent batch, retrying", source.pk)
        except BaseException:
            batch.forget_files()
            raise
    raise AssertionError("unreachable")


def _apply(batch: Batch, mapping: Mapping, prepared: list[_Item], result: IngestResult, rejects: list[Reject]) -> None:
    readings = {(p.n.reading.sensor, p.n.reading.metric) for p in prepared if p.n.reading is not None}
    batch.load({p.n.external_id for p in prepared if p.n.reading is None}, readings)
    for p in prepared:
        n = p.n
        try:
            if n.reading is not None:
                outcome = sensors.take(batch, mapping, n, p.obj, p.raw, p.territory_id)
                if outcome in (sensors.OPENED, sensors.TAKEN):
                    result.accepted += 1
                elif outcome == sensors.CLOSED:
                    result.updated += 1
                elif outcome == sensors.LATE:
                    result.late += 1
                else:
                    result.duplicates += 1
                continue
            event = batch.events.get(n.external_id)
            if event is None:
                batch.create(n, p.raw, p.territory_id)
                result.accepted += 1
                continue
            order = batch.compare(event, n)
            if order > 0:
                batch.apply(event, n, p.raw, p.territory_id)
                result.updated += 1
                continue
            verdict = batch.same_version(event, n, p.obj, p.raw)
            if verdict == "duplicate":
                result.duplicates += 1
            elif verdict == "conflict":
                raise ItemError(
                    "version_conflict",
                    "Эта версия события уже получена с другими данными: у изменённого события должно быть более позднее время изменения"
                    + (" или больший номер версии." if batch.explicit_versions else "."),
                    mapping.where("version" if batch.explicit_versions else "version_at"),
                )
            else:
                batch.keep_late(event, n, p.raw, p.territory_id)
                result.late += 1
        except ItemError as exc:
            result.rejected.append(Rejected(p.index, n.external_id, exc.code, exc.message, exc.field))
            rejects.append(_reject_row(batch.source, batch.received_at, n.external_id, exc, p.raw))
    result.rejected.sort(key=lambda r: r.index)
