"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, models, transaction


def update_rows(model: type[models.Model], rows: Sequence[models.Model], names: Sequence[str]) -> None:
    """Write these fields of many rows whose values differ row by row: one parametrised UPDATE per
    row, sent with executemany (psycopg pipelines them). Django's bulk_update builds a CASE per field
    and row, which costs more Python time than the work it saves. Fields are prepared as save()
    would (pre_save: `auto_now` is refreshed); no signals are sent."""
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    auto_now = [f for f in model._meta.concrete_fields if getattr(f, "auto_now", False) and f not in fields]
    fields += auto_now
    qn = connection.ops.quote_name
    sql = (
        f"UPDATE {qn(model._meta.db_table)} SET {', '.join(f'{qn(f.column)} = %s' for f in fields)} "
        f"WHERE {qn(model._meta.pk.column)} = %s"
    )
    params = [[f.get_db_prep_save(f.pre_save(row, False), connection) for f in fields] + [row.pk] for row in rows]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, params)
