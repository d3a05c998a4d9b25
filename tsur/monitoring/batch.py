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
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DEFAULT_DB_ALIAS, connection, connections, models

from tsur.core.db import copy_rows, update_rows
from tsur.monitoring.mapping import ImageData, ImageUrl, Normalised
from tsur.monitoring.models import EventKind, EventState, EventVersion, MonitoringEvent, SensorState, Source
from tsur.monitoring.places import cell

# What a newer version may change on its event (update_rows writes exactly these).
EVENT_FIELDS = (
    "kind", "state", "version", "occurred_at", "resolved_at", "version_at", "title", "address",
    "territory", "lat", "lon", "cell", "details", "image", "matched_at",
)  # fmt: skip
STATE_FIELDS = ("alarm", "value", "read_at", "event")


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
        self.events: dict[str, MonitoringEvent] = {}
        self.versions: dict[str, list[EventVersion]] = defaultdict(list)
        self.states: dict[tuple[str, str], SensorState] = {}
        self.new_events: list[MonitoringEvent] = []
        self.changed_events: dict[str, MonitoringEvent] = {}
        self.new_versions: list[EventVersion] = []
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

    def current(self, event: MonitoringEvent) -> EventVersion | None:
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

    def _version(self, event: MonitoringEvent, n: Normalised, raw: str, territory_id: int | None, *, applied: bool) -> EventVersion:
        number = max((v.version for v in self.versions[event.external_id]), default=0) + 1
        version = EventVersion(
            event=event, version=number, state=n.state, version_at=n.version_at, received_at=self.received_at,
            payload=raw, normalised=normalised_json(n, territory_id, applied),
        )  # fmt: skip
        self.versions[event.external_id].append(version)
        self.new_versions.append(version)
        return version

    def _image(self, event: MonitoringEvent, n: Normalised) -> None:
        if isinstance(n.image, ImageData):
            moment = self.received_at
            name = f"monitoring/{moment:%Y/%m}/{self.source.code}-{uuid.uuid4().hex}.{n.image.extension}"
            self.saved_files.append(default_storage.save(name, ContentFile(n.image.content)))
            event.image.name = self.saved_files[-1]
        elif isinstance(n.image, ImageUrl):
            event.details = {**event.details, "Кадр": n.image.url}

    def _fill(self, event: MonitoringEvent, n: Normalised, territory_id: int | None) -> None:
        event.kind = self.kinds[n.kind]
        event.state = n.state
        event.occurred_at = n.occurred_at
        event.version_at = n.version_at
        event.resolved_at = n.resolved_at if n.state == EventState.RESOLVED else None
        event.title = n.title or event.kind.name
        event.address = n.address
        event.territory_id = territory_id
        event.lat, event.lon = n.lat, n.lon
        event.cell = cell(n.lat, n.lon)
        event.details = dict(n.details)
        self._image(event, n)

    def create(self, n: Normalised, raw: str, territory_id: int | None) -> MonitoringEvent:
        event = MonitoringEvent(source=self.source, external_id=n.external_id, version=1, received_at=self.received_at)
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


# Fields whose Python value is what psycopg writes as is: no per-value preparation needed.
PLAIN = (models.CharField, models.TextField, models.IntegerField, models.FloatField, models.BooleanField, models.DateTimeField, models.ForeignKey)


def copy_plain(model: type[models.Model], rows: list, *, with_ids: bool = False) -> None:
    """`tsur.core.db.copy_rows` for rows built here, whose values are already what the database
    takes (aware datetimes, ids, texts, numbers): on PostgreSQL each value goes to COPY as it is,
    JSON through the backend's adapter, a file as its name, anything else prepared as Django
    would. Preparing every value of every field through Django (and the `connection` proxy) was a
    quarter of the intake's time. Other databases: copy_rows (bulk_create)."""
    conn = connections[DEFAULT_DB_ALIAS]  # the connection itself: every attribute of the proxy costs a lookup
    if not rows or conn.vendor != "postgresql":
        copy_rows(model, rows, with_ids=with_ids)
        return
    meta = model._meta
    if with_ids:
        with conn.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [meta.db_table, meta.pk.column, len(rows)])
            for row, (pk,) in zip(rows, sorted(cursor.fetchall()), strict=True):
                row.pk = pk
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")
    fields = [f for f in meta.concrete_fields if not (f.primary_key and not with_ids)]
    getters = []
    for f in fields:
        if isinstance(f, models.JSONField):
            getters.append(lambda row, f=f: conn.ops.adapt_json_value(getattr(row, f.attname), f.encoder))
        elif isinstance(f, models.FileField):
            getters.append(lambda row, f=f: getattr(row, f.attname).name or "")
        elif isinstance(f, PLAIN):
            getters.append(lambda row, a=f.attname: getattr(row, a))
        else:
            getters.append(lambda row, f=f: f.get_db_prep_save(f.pre_save(row, True), conn))
    qn = conn.ops.quote_name
    sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    with conn.cursor() as cursor, conn.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([get(row) for get in getters])
    for row in rows:
        row._state.adding, row._state.db = False, conn.alias


def _loads(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
