"""Database helpers shared by the apps."""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.db import connection, models, transaction
from django.db.models.lookups import In
from psycopg.types.array import ListDumper


def update_rows(model: type[models.Model], rows: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write these fields of many rows whose values differ row by row.

    PostgreSQL: one `UPDATE … FROM UNNEST(one array per column)`: one statement to parse and plan,
    whose text psycopg caches (a VALUES list of thousands of placeholders is re-parsed in Python
    on every call). Other databases: one parametrised UPDATE per row, sent with executemany.
    Django's bulk_update builds a CASE per field and row, which costs more Python time than the
    work it saves. Fields are prepared as save() would (pre_save: `auto_now` is refreshed); no
    signals are sent."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    fields += [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) and f not in fields]
    pk = model._meta.pk
    values = [[f.get_db_prep_save(f.pre_save(row, False), connection) for f in fields] + [row.pk] for row in rows]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET {', '.join(f'{qn(f.column)} = %s' for f in fields)} WHERE {qn(pk.column)} = %s", values
            )
            return
        columns = [*fields, pk]
        # The array types without their length (varchar[], not varchar(300)[]), as Django's own UNNEST insert.
        arrays = ", ".join(f"%s::{f.db_type(connection).split('(')[0]}[]" for f in columns)
        names_sql = ", ".join(f"c{i}" for i in range(len(columns)))
        set_sql = ", ".join(f"{qn(f.column)} = v.c{i}" for i, f in enumerate(fields))
        cursor.execute(
            f"UPDATE {table} SET {set_sql} FROM UNNEST({arrays}) AS v({names_sql}) WHERE {table}.{qn(pk.column)} = v.c{len(columns) - 1}",
            [list(column) for column in zip(*values, strict=True)],
        )


def insert_rows(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert new rows, their ids set. One row (a resident's request): one INSERT … RETURNING, one
    round trip (`insert_row`); more: COPY (`copy_rows`), whose id query is repaid many times over."""
    if len(rows) == 1:
        insert_row(model, rows[0])
    else:
        copy_rows(model, rows, with_ids=True)


def insert_row(model: type[models.Model], row: models.Model) -> None:
    """Insert one new row and set its id: the INSERT bulk_create would send, with its text made
    once per model and its values prepared as bulk_create prepares them (defaults, `pre_save`:
    `auto_now_add`, the ids of related rows saved after the object was built). No signals, as
    bulk_create. Django's query compiler rebuilt that statement for every row, a third of the
    CPU a resident's request spent in Python. Models whose insert returns more than the id (a
    database default) and databases without INSERT … RETURNING go through bulk_create."""
    meta = model._meta
    auto_pk = isinstance(meta.pk, models.AutoField) and not row._is_pk_set()
    if list(meta.db_returning_fields) != [meta.pk] or not connection.features.can_return_columns_from_insert:
        model.objects.bulk_create([row])
        return
    row._prepare_related_fields_for_save(operation_name="bulk_create")
    key = (model, connection.vendor, auto_pk)
    statement = _INSERTS.get(key)
    if statement is None:
        qn = connection.ops.quote_name
        fields = [f for f in meta.concrete_fields if not f.generated and not (auto_pk and f.primary_key)]
        sql = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(meta.pk.column)}"
        )
        statement = _INSERTS[key] = (sql, fields)
    sql, fields = statement
    values = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (pk,) = cursor.fetchone()
    if auto_pk:
        row.pk = pk
    row._state.adding, row._state.db = False, connection.alias


# (model, vendor, id given by the database) -> the INSERT's text and its fields, made once.
_INSERTS: dict[tuple, tuple[str, list]] = {}


def copy_rows(model: type[models.Model], rows: Sequence[models.Model], *, with_ids: bool = False) -> None:
    """Insert new rows with COPY on PostgreSQL; other databases: bulk_create. Every concrete field
    is written, prepared as bulk_create would (defaults, `auto_now_add`, the ids of related rows
    saved after the object was built). A conflict or a value the database refuses fails the whole
    COPY (run it in a savepoint to fall back).

    `with_ids`: the rows get their ids first, from the table's sequence in one query, ascending
    in the order of the rows, so they can be referred to as after bulk_create. Without it the
    ids stay unknown (the database assigns them).

    Why: Django's bulk insert on PostgreSQL prepares every value of every field in Python and
    sends a column as one array that psycopg writes element by element in Python; for an appeal
    (45 columns) that is most of the cost of writing it. COPY formats the rows in psycopg's C
    code. As VALUES, psycopg would re-parse a statement of thousands of placeholders per call."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    meta = model._meta
    qn = connection.ops.quote_name
    for row in rows:
        row._prepare_related_fields_for_save(operation_name="bulk_create")
    auto_pk = isinstance(meta.pk, models.AutoField)
    with connection.cursor() as cursor, connection.wrap_database_errors:
        if with_ids and auto_pk:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [meta.db_table, meta.pk.column, len(rows)]
            )
            for row, (pk,) in zip(rows, sorted(cursor.fetchall()), strict=True):
                row.pk = pk
        fields = [f for f in meta.concrete_fields if not (f.primary_key and auto_pk and not with_ids)]
        sql = f"COPY {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
        # The psycopg cursor itself (Django's wrapper has no copy()); its errors turned into Django's.
        started = time.monotonic()
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields])
        if connection.queries_logged:  # shown with the other statements (debug, tests counting statements)
            connection.queries_log.append({"sql": f"{sql} -- {len(rows)} rows", "time": f"{time.monotonic() - started:.3f}"})
    for row in rows:
        row._state.adding, row._state.db = False, connection.alias


class _Escape:
    """What psycopg's ListDumper asks of its escaping pattern (`sub(replacement, data)`), done
    with two bytes.replace calls instead of one regular-expression template expansion per
    double quote or backslash: an array of JSON documents or texts (Django's UNNEST inserts and
    `update_rows`) has one per few characters, and the substitution was ~1 ms per social post."""

    @staticmethod
    def sub(_replacement: bytes, data) -> bytes:
        return bytes(data).replace(b"\\", b"\\\\").replace(b'"', b'\\"')


class FastListDumper(ListDumper):
    """psycopg's text-array dumper, escaping with `_Escape`: the same bytes (tests/lib/test_db.py)."""

    _re_esc = _Escape()


def register_fast_arrays(sender, connection, **kwargs) -> None:
    """`connection_created` receiver: on PostgreSQL, Python lists are written as text arrays by
    FastListDumper."""
    if connection.vendor == "postgresql":
        connection.connection.adapters.register_dumper(list, FastListDumper)


class AnyOf(models.Lookup):
    """`field__any_of=ids`: the rows whose field is one of these integers (ids). On PostgreSQL
    `field = ANY(%s::bigint[])` with the list as one parameter, however long; elsewhere Django's
    `IN`. An `IN` list is one placeholder per value, written into the statement's text and
    adapted by psycopg one by one (~10 µs a value): the thousands of ids of a storm's places cost
    more than their reads. A subquery instead of a list leaves the plan to the statistics, which
    lag behind a storm (a nested loop over the storm's rows was measured 3× slower)."""

    lookup_name = "any_of"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int]:
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, self.rhs]


def register_lookups() -> None:
    """Called once at start-up (CoreConfig.ready). Relations keep lookups of their own (Django's
    ForeignObject does not inherit Field's), so `appeal_id__any_of` needs its own registration."""
    models.Field.register_lookup(AnyOf)
    models.ForeignObject.register_lookup(AnyOf)
