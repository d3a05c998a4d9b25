"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models, transaction
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


def copy_rows(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """Insert new rows with COPY on PostgreSQL; other databases: bulk_create. Every concrete field
    but an automatic primary key is written, prepared as save() would (defaults, `auto_now_add`).
    The rows do not get their ids back. A conflict or a value the database refuses fails the whole
    COPY (run it in a savepoint to fall back).

    Why: Django's bulk insert on PostgreSQL sends a column as one array, which psycopg writes in
    Python, escaping every double quote of every JSON document with a regular-expression
    substitution (~1 ms per 700-byte social post); as VALUES, psycopg re-parses a statement of
    thousands of placeholders on every call. COPY formats the rows in psycopg's C code."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(rows)
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    qn = connection.ops.quote_name
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) FROM STDIN"
    # The psycopg cursor itself (Django's wrapper has no copy()); its errors turned into Django's.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields])


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
