"""Monthly range partitions of the event log (`appeals_event`) on PostgreSQL.

The log grows by ~9 rows per appeal and is never deleted from. At a region's volume one table is
the right design (docs/operations.md, «Partitioning of the event log»); a region fifty times larger,
or one that must detach old years for its archive, converts it once with `tsur events partition`:

- `partition_events()` rebuilds the table as `PARTITION BY RANGE (at)`, one partition per calendar
  month (Moscow time, the deployment's TIME_ZONE) from the oldest event to `AHEAD_MONTHS` ahead,
  plus a DEFAULT partition. It runs in one transaction holding the table's exclusive lock: writers
  wait, readers of other tables do not; a failure anywhere rolls everything back. The rows keep
  their ids; the primary key becomes `(id, at)` (PostgreSQL requires the partition key in it: ids
  stay unique, one identity sequence feeds them all); the indexes and the foreign keys from the log
  keep their names. A foreign key *to* the log cannot reference part of that key, so the one model
  pointing at events (`deadlines.StaffAlert.event`) declares none (`db_constraint=False`).
- `ensure_partitions(now)`, the periodic job `appeals.event_partitions`, creates the coming months'
  partitions ahead of time and moves any rows that fell into DEFAULT (an event dated outside every
  partition) into a partition of their own month, so DEFAULT stays empty. On SQLite, or while the
  table is not partitioned, it does nothing.

The ORM is unaware of all this: the model's primary key stays `id`, inserts go to the parent and
PostgreSQL routes each row, `COPY` included.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from tsur.appeals.models import Event
from tsur.core import clock
from tsur.core.tasks import periodic

log = logging.getLogger(__name__)

TABLE = Event._meta.db_table
DEFAULT_PARTITION = f"{TABLE}_default"
AHEAD_MONTHS = 3


class PartitionError(Exception):
    """The log cannot be converted as asked; the message is for the operator (Russian)."""


@dataclass
class Conversion:
    rows: int
    partitions: list[str]
    dropped_references: list[str]
    seconds: float = 0.0


@dataclass
class Partition:
    name: str
    bounds: str
    rows: int


@dataclass
class Upkeep:
    created: list[str] = field(default_factory=list)
    moved: int = 0


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s))", [TABLE])
        return cursor.fetchone()[0]


def month_start(at: dt.datetime) -> dt.datetime:
    local = timezone.localtime(at)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(start: dt.datetime) -> dt.datetime:
    year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    # Built anew in the zone: a month's first midnight has its own UTC offset.
    return timezone.make_aware(dt.datetime(year, month, 1), timezone.get_current_timezone())


def months(first: dt.datetime, last: dt.datetime) -> Iterator[dt.datetime]:
    """Every month start from `first`'s month to `last`'s, both included."""
    start, end = month_start(first), month_start(last)
    while start <= end:
        yield start
        start = next_month(start)


def partition_name(start: dt.datetime) -> str:
    return f"{TABLE}_y{start.year}m{start.month:02d}"


def _literal(at: dt.datetime) -> str:
    # DDL takes no parameters; these are our own datetimes, written as ISO with their offset.
    return "'" + at.isoformat() + "'"


def _bounds(start: dt.datetime) -> str:
    return f"FOR VALUES FROM ({_literal(start)}) TO ({_literal(next_month(start))})"


def _ahead(at: dt.datetime) -> dt.datetime:
    """A moment in the last month that gets a partition ahead of `at`."""
    return at + dt.timedelta(days=31 * AHEAD_MONTHS)


def _children(cursor) -> list[tuple[str, str]]:
    """(name, bounds) of the log's partitions, by name."""
    cursor.execute(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
        [TABLE],
    )
    return cursor.fetchall()


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum", [table]
    )
    return [row[0] for row in cursor.fetchall()]


def partition_events(now: dt.datetime | None = None) -> Conversion:
    """Convert the event log into monthly partitions (once; see the module's notes)."""
    if connection.vendor != "postgresql":
        raise PartitionError("Секционирование журнала событий есть только в PostgreSQL: встроенная SQLite хранит его одной таблицей.")
    now = now or clock.now()
    started = time.monotonic()
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        if is_partitioned():
            raise PartitionError("Журнал событий уже секционирован по месяцам.")
        cursor.execute(f"LOCK TABLE {qn(TABLE)} IN ACCESS EXCLUSIVE MODE")
        # Deferred checks of rows written earlier in this transaction run now: a table with
        # checks pending cannot be dropped.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = to_regclass(%s) ORDER BY conname", [TABLE]
        )
        own = cursor.fetchall()
        cursor.execute(
            "SELECT conname, conrelid::regclass::text FROM pg_constraint WHERE confrelid = to_regclass(%s) AND contype = 'f' ORDER BY conname",
            [TABLE],
        )
        references = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary "
            "FROM pg_index i WHERE i.indrelid = to_regclass(%s) ORDER BY 1",
            [TABLE],
        )
        indexes = cursor.fetchall()
        unique = [name for name, _sql, is_unique, is_primary in indexes if is_unique and not is_primary]
        if unique:
            raise PartitionError(f"Уникальные индексы без времени события мешают секционированию: {', '.join(unique)}.")
        cursor.execute(f"SELECT count(*), min(at), max(at), max(id) FROM {qn(TABLE)}")
        rows, oldest, newest, top_id = cursor.fetchone()
        columns = ", ".join(qn(c) for c in _columns(cursor, TABLE))
        building = f"{TABLE}_partitioned"
        cursor.execute(
            f"CREATE TABLE {qn(building)} (LIKE {qn(TABLE)} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE) PARTITION BY RANGE (at)"
        )
        monthly = []
        for start in months(oldest or now, _ahead(max(newest or now, now))):
            monthly.append(partition_name(start))
            cursor.execute(f"CREATE TABLE {qn(monthly[-1])} PARTITION OF {qn(building)} {_bounds(start)}")
        cursor.execute(f"CREATE TABLE {qn(DEFAULT_PARTITION)} PARTITION OF {qn(building)} DEFAULT")
        cursor.execute(f"INSERT INTO {qn(building)} ({columns}) SELECT {columns} FROM {qn(TABLE)}")
        copied = cursor.rowcount
        if copied != rows:
            raise PartitionError(f"Скопировано {copied} событий из {rows}: ничего не изменено.")
        for name, table in references:
            cursor.execute(f"ALTER TABLE {qn(table)} DROP CONSTRAINT {qn(name)}")
        cursor.execute(f"DROP TABLE {qn(TABLE)}")
        cursor.execute(f"ALTER TABLE {qn(building)} RENAME TO {qn(TABLE)}")
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
        sequence = cursor.fetchone()[0]
        cursor.execute(f"ALTER SEQUENCE {sequence} RENAME TO {qn(TABLE + '_id_seq')}")
        if top_id is not None:
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [TABLE, top_id])
        for name, contype, definition in own:
            if contype == "p":
                cursor.execute(f"ALTER TABLE {qn(TABLE)} ADD CONSTRAINT {qn(name)} PRIMARY KEY (id, at)")
            elif contype in ("f", "c"):
                cursor.execute(f"ALTER TABLE {qn(TABLE)} ADD CONSTRAINT {qn(name)} {definition}")
        for _name, sql, _is_unique, is_primary in indexes:
            if not is_primary:
                cursor.execute(sql)  # CREATE INDEX <its name> ON appeals_event …: now the partitioned table
        cursor.execute(f"ANALYZE {qn(TABLE)}")
    result = Conversion(rows=rows, partitions=monthly, dropped_references=[f"{t}.{n}" for n, t in references])
    result.seconds = time.monotonic() - started
    log.info("event log partitioned: %d rows into %d monthly partitions in %.1f s", rows, len(monthly), result.seconds)
    return result


def partitions() -> list[Partition]:
    """The partitions with their bounds and row counts (empty when the log is one table)."""
    if not is_partitioned():
        return []
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        out = []
        for name, bounds in _children(cursor):
            cursor.execute(f"SELECT count(*) FROM {qn(name)}")
            out.append(Partition(name=name, bounds=bounds, rows=cursor.fetchone()[0]))
    return out


def ensure_partitions(now: dt.datetime) -> Upkeep:
    """This month's and the next `AHEAD_MONTHS` partitions, and a partition for every month that has
    rows in DEFAULT (moved there in the same transaction)."""
    upkeep = Upkeep()
    if not is_partitioned():
        return upkeep
    qn = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        have = {name for name, _range in _children(cursor)}
        wanted = {partition_name(s): s for s in months(now, _ahead(now))}
        zone = timezone.get_current_timezone_name()
        cursor.execute(f"SELECT DISTINCT date_trunc('month', at AT TIME ZONE %s) FROM {qn(DEFAULT_PARTITION)}", [zone])
        for (naive,) in cursor.fetchall():
            start = timezone.make_aware(naive, timezone.get_current_timezone())
            wanted[partition_name(start)] = start
        columns = ", ".join(qn(c) for c in _columns(cursor, TABLE))
        for name, start in sorted(wanted.items()):
            if name in have:
                continue
            lo, hi = _literal(start), _literal(next_month(start))
            # Built apart and attached: a month with rows in DEFAULT cannot be created in place.
            cursor.execute(f"CREATE TABLE {qn(name)} (LIKE {qn(TABLE)} INCLUDING DEFAULTS INCLUDING STORAGE)")
            cursor.execute(f"LOCK TABLE {qn(DEFAULT_PARTITION)} IN ACCESS EXCLUSIVE MODE")
            cursor.execute(f"INSERT INTO {qn(name)} ({columns}) SELECT {columns} FROM {qn(DEFAULT_PARTITION)} WHERE at >= {lo} AND at < {hi}")
            upkeep.moved += cursor.rowcount
            cursor.execute(f"DELETE FROM {qn(DEFAULT_PARTITION)} WHERE at >= {lo} AND at < {hi}")
            cursor.execute(f"ALTER TABLE {qn(TABLE)} ATTACH PARTITION {qn(name)} {_bounds(start)}")
            upkeep.created.append(name)
    if upkeep.created:
        log.info("event log: created partitions %s, moved %d rows out of DEFAULT", ", ".join(upkeep.created), upkeep.moved)
    return upkeep


@periodic("appeals.event_partitions")
def event_partitions_job(now: dt.datetime) -> int:
    return len(ensure_partitions(now).created)
