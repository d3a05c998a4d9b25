"""One batch of intake in memory: the events and versions it touches, found with one query each,
the rows it creates or changes, written with one statement per table (`Batch.write`).

Versions: `EventVersion.version` numbers what arrived, 1, 2, 3…; `MonitoringEvent.version` is the
number of the version applied (the newest by the event's own time, or by the source's version
number when the mapping has one). A late version is stored with the next number and
`normalised["applied"] = false`, and changes nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from tsur.core.db import update_rows
from tsur.monitoring.mapping import ImageData, ImageUrl, Normalised
from tsur.monitoring.models import EventKind, EventState, EventVersion, MonitoringEvent, SensorState, Source
from tsur.monitoring.places import cell

# What a newer version may change on its event (update_rows writes exactly these).
EVENT_FIELDS = (
    "kind", "state", "version", "occurred_at", "resolved_at", "version_at", "title", "address",
    "territory", "lat", "lon", "cell", "details", "image", "matched_at",
)  # fmt: skip
STATE_FIELDS = ("alarm", "value", "read_at", "event")


@dataclass(slots=True, eq=False)
class NewEvent:
    """A MonitoringEvent this batch creates: the model's columns and nothing else (a Django model
    instance costs ~40 µs to build, a third of the intake's time). Written by `copy_plain`."""

    source_id: int
    external_id: str
    received_at: dt.datetime
    version: int = 1
    kind_id: int | None = None
    state: str = EventState.ACTIVE
    occurred_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    version_at: dt.datetime | None = None
    title: str = ""
    address: str = ""
    territory_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    cell: str = ""
    details: dict = field(default_factory=dict)
    image: str = ""
    matched_at: dt.datetime | None = None
    pk: int | None = None


@dataclass(slots=True, eq=False)
class NewVersion:
    """An EventVersion this batch creates (its event: a NewEvent or a stored MonitoringEvent)."""

    event: Any
    version: int
    state: str
    version_at: dt.datetime
    received_at: dt.datetime
    payload: str
    normalised: dict

    @property
    def event_id(self) -> int | None:
        return self.event.pk


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def normalised_json(n: Normalised, territory_id: int | None, applied: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": n.kind,
        "state": str(n.state),
        "occurred_at": _iso(n.occurred_at),
        "version_at": _iso(n.version_at),
        "resolved_at": _iso(n.resolved_at),
        "applied": applied,
    }
    if n.version_no is not None:
        out["version_no"] = n.version_no
    for name in ("lat", "lon", "address", "title"):
        value = getattr(n, name)
        if value not in (None, ""):
            out[name] = value
    if territory_id is not None:
        out["territory_id"] = territory_id
    if n.details:
        out["details"] = n.details
    if isinstance(n.image, ImageUrl):
        out["image_url"] = n.image.url
    if n.reading is not None:
        out["reading"] = {"sensor": n.reading.sensor, "metric": n.reading.metric, "value": n.reading.value, "unit": n.reading.unit}
    return out


class Batch:
    def __init__(self, source: Source, kinds: dict[str, EventKind], received_at: dt.datetime, *, explicit_versions: bool) -> None:
        self.source = source
        self.kinds = kinds
        self._kind_codes = {k.pk: code for code, k in kinds.items()}
        self.received_at = received_at
        self.explicit_versions = explicit_versions
        self.events: dict[str, MonitoringEvent | NewEvent] = {}
        self.versions: dict[str, list[EventVersion | NewVersion]] = defaultdict(list)
        self.states: dict[tuple[str, str], SensorState] = {}
        self.new_events: list[NewEvent] = []
        self.changed_events: dict[str, MonitoringEvent] = {}
        self.new_versions: list[NewVersion] = []
        self.new_states: list[SensorState] = []
        self.changed_states: dict[tuple[str, str], SensorState] = {}
        # A state's event may be created in this batch, its id known only once it is written.
        self.state_events: dict[tuple[str, str], MonitoringEvent] = {}
        self.saved_files: list[str] = []

    # --- reading what exists ---------------------------------------------------------------

    def load(self, external_ids: set[str], sensors: set[tuple[str, str]]) -> None:
        """The source's events with these ids and the states of these sensors, locked for this
        transaction (a concurrent batch with the same ids waits, then sees what this one wrote),
        with every version of those events (duplicates are told by comparing payloads)."""
        lock = connection.features.has_select_for_update
        if sensors:
            wanted = {s for s, _m in sensors}
            rows = SensorState.objects.filter(source=self.source, sensor__in=wanted)
            for state in rows.select_for_update() if lock else rows:
                if (state.sensor, state.metric) in sensors:
                    self.states[(state.sensor, state.metric)] = state
        event_ids = [s.event_id for s in self.states.values() if s.event_id]
        found = MonitoringEvent.objects.filter(source=self.source, external_id__in=external_ids) if external_ids else None
        if event_ids:
            by_id = MonitoringEvent.objects.filter(pk__in=event_ids)
            found = by_id if found is None else found | by_id
        if found is None:
            return
        rows = list(found.select_for_update() if lock else found)
        for event in rows:
            self.events[event.external_id] = event
        by_pk = {e.pk: e for e in rows}
        for state in self.states.values():
            if state.event_id in by_pk:
                state.event = by_pk[state.event_id]
        versions = EventVersion.objects.filter(event_id__in=list(by_pk)).only("event_id", "version", "state", "version_at", "payload", "normalised")
        for version in versions.order_by("event_id", "version"):
            self.versions[by_pk[version.event_id].external_id].append(version)

    # --- deciding -------------------------------------------------------------------------

    def kind_code(self, event: MonitoringEvent) -> str:
        return self._kind_codes.get(event.kind_id) or EventKind.objects.get(pk=event.kind_id).code

    def current(self, event: MonitoringEvent | NewEvent) -> EventVersion | NewVersion | None:
        for version in self.versions[event.external_id]:
            if version.version == event.version:
                return version
        return None

    def _key(self, version_at: dt.datetime, number: int | None) -> tuple:
        return (number if number is not None else -1, version_at) if self.explicit_versions else (version_at,)

    def compare(self, event: MonitoringEvent, n: Normalised) -> int:
        """1: `n` is newer than the version applied; 0: the same version; -1: older (late)."""
        applied = self.current(event)
        number = applied.normalised.get("version_no") if applied is not None else None
        mine, theirs = self._key(n.version_at, n.version_no), self._key(event.version_at, number)
        return (mine > theirs) - (mine < theirs)

    def same_version(self, event: MonitoringEvent, n: Normalised, obj: Any, raw: str) -> str | None:
        """'duplicate' when a stored version has the same version key and the same data, 'conflict'
        when it has the same key but other data, None when no stored version has this key."""
        key = self._key(n.version_at, n.version_no)
        verdict = None
        for version in self.versions[event.external_id]:
            stored = version.normalised
            if self._key(version.version_at, stored.get("version_no")) != key:
                continue
            if version.payload == raw or _loads(version.payload) == obj:
                return "duplicate"
            verdict = "conflict"
        return verdict

    # --- changing ------------------------------------------------------------------------

    def _version(self, event: MonitoringEvent | NewEvent, n: Normalised, raw: str, territory_id: int | None, *, applied: bool) -> NewVersion:
        number = max((v.version for v in self.versions[event.external_id]), default=0) + 1
        version = NewVersion(event, number, n.state, n.version_at, self.received_at, raw, normalised_json(n, territory_id, applied))
        self.versions[event.external_id].append(version)
        self.new_versions.append(version)
        return version

    def _image(self, event: MonitoringEvent, n: Normalised) -> None:
        if isinstance(n.image, ImageData):
            moment = self.received_at
            name = f"monitoring/{moment:%Y/%m}/{self.source.code}-{uuid.uuid4().hex}.{n.image.extension}"
            self.saved_files.append(default_storage.save(name, ContentFile(n.image.content)))
            if isinstance(event, NewEvent):
                event.image = self.saved_files[-1]
            else:
                event.image.name = self.saved_files[-1]
        elif isinstance(n.image, ImageUrl):
            event.details = {**event.details, "Кадр": n.image.url}

    def _fill(self, event: MonitoringEvent, n: Normalised, territory_id: int | None) -> None:
        kind = self.kinds[n.kind]
        event.kind_id = kind.pk  # the id only: nothing here reads `event.kind`
        event.state = n.state
        event.occurred_at = n.occurred_at
        event.version_at = n.version_at
        event.resolved_at = n.resolved_at if n.state == EventState.RESOLVED else None
        event.title = n.title or kind.name
        event.address = n.address
        event.territory_id = territory_id
        event.lat, event.lon = n.lat, n.lon
        event.cell = cell(n.lat, n.lon)
        event.details = dict(n.details)
        self._image(event, n)

    def create(self, n: Normalised, raw: str, territory_id: int | None) -> NewEvent:
        event = NewEvent(source_id=self.source.pk, external_id=n.external_id, received_at=self.received_at)
        self._fill(event, n, territory_id)
        self.events[n.external_id] = event
        self.new_events.append(event)
        self._version(event, n, raw, territory_id, applied=True)
        return event

    def apply(self, event: MonitoringEvent, n: Normalised, raw: str, territory_id: int | None, *, keep: tuple[str, ...] = ()) -> None:
        """A newer version: stored, and the event takes its fields (but those named in `keep`,
        e.g. a sensor event's opening title). The matcher looks at the event again."""
        kept = {name: getattr(event, name) for name in keep}
        self._fill(event, n, territory_id)
        for name, value in kept.items():
            setattr(event, name, value)
        event.version = self._version(event, n, raw, territory_id, applied=True).version
        event.matched_at = None
        if event.pk is not None:
            self.changed_events[event.external_id] = event

    def keep_late(self, event: MonitoringEvent, n: Normalised, raw: str, territory_id: int | None) -> None:
        self._version(event, n, raw, territory_id, applied=False)

    def state_for(self, sensor: str, metric: str) -> SensorState:
        key = (sensor, metric)
        if key not in self.states:
            state = SensorState(source=self.source, sensor=sensor, metric=metric, alarm=False)
            self.states[key] = state
            self.new_states.append(state)
        return self.states[key]

    def event_of(self, state: SensorState) -> MonitoringEvent | None:
        """The sensor's latest event (opened in this batch, or the one its state points to)."""
        key = (state.sensor, state.metric)
        if key in self.state_events:
            return self.state_events[key]
        return state.event if state.event_id else None

    def state_changed(self, state: SensorState, event: MonitoringEvent | None = None) -> None:
        if event is not None:
            self.state_events[(state.sensor, state.metric)] = event
        if state.pk is not None:
            self.changed_states[(state.sensor, state.metric)] = state

    # --- writing -------------------------------------------------------------------------

    def write(self) -> list[int]:
        """Every row of the batch; the ids of the events created or given a newer version."""
        copy_plain(MonitoringEvent, self.new_events, with_ids=True)
        copy_plain(EventVersion, self.new_versions)
        update_rows(MonitoringEvent, list(self.changed_events.values()), EVENT_FIELDS)
        for key, event in self.state_events.items():
            self.states[key].event_id = event.pk
        SensorState.objects.bulk_create(self.new_states)
        update_rows(SensorState, list(self.changed_states.values()), STATE_FIELDS)
        return [e.pk for e in self.new_events] + [e.pk for e in self.changed_events.values()]

    def forget_files(self) -> None:
        """The frames saved for a batch that was not written."""
        for name in self.saved_files:
            default_storage.delete(name)
        self.saved_files.clear()


def copy_plain(model: type[models.Model], rows: list, *, with_ids: bool = False) -> None:
    """Insert rows built here (`NewEvent`, `NewVersion`: attributes named as the model's columns,
    values already what the database takes: aware datetimes, ids, texts, numbers, dicts for JSON)
    with COPY on PostgreSQL, each value as it is, JSON through the backend's adapter. Preparing
    every value through Django (and the `connection` proxy) had been a quarter of the intake's
    time. `with_ids`: the rows get their ids from the table's sequence first. Other databases:
    model instances and bulk_create."""
    if not rows:
        return
    conn = connections[DEFAULT_DB_ALIAS]  # the connection itself: every attribute of the proxy costs a lookup
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    if conn.vendor != "postgresql":
        instances = [model(**{f.attname: getattr(row, f.attname) for f in fields}) for row in rows]
        model.objects.bulk_create(instances)
        if with_ids:
            for row, instance in zip(rows, instances, strict=True):
                row.pk = instance.pk
        return
    if with_ids:
        with conn.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [meta.db_table, meta.pk.column, len(rows)])
            for row, (pk,) in zip(rows, sorted(cursor.fetchall()), strict=True):
                row.pk = pk
        fields = [meta.pk, *fields]
    getters = []
    for f in fields:
        name = "pk" if f.primary_key else f.attname
        if isinstance(f, models.JSONField):
            getters.append(lambda row, f=f: conn.ops.adapt_json_value(getattr(row, f.attname), f.encoder))
        else:
            getters.append(lambda row, name=name: getattr(row, name))
    qn = conn.ops.quote_name
    sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    with conn.cursor() as cursor, conn.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([get(row) for get in getters])


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
