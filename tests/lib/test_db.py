"""tsur.core.db: row updates and inserts in bulk, and the faster text-array dumper, give the
same stored values as Django's own writes."""

from __future__ import annotations

import pytest
from django.db import connection
from psycopg.adapt import PyFormat, Transformer
from psycopg.types.array import ListDumper

from tsur.core.db import FastListDumper, copy_rows, update_rows

TRICKY = ['plain', 'with "quotes"', "back\\slash", '\\"both\\"', "{braces}, comma", "NULL", "", " spaced ", "кириллица «ёлки»", None]


def test_the_fast_array_dumper_writes_the_same_bytes_as_psycopgs():
    values = [*TRICKY, '{"json": "doc", "n": [1, 2]}']
    ours = FastListDumper(list, Transformer()).upgrade(values, PyFormat.TEXT).dump(values)
    theirs = ListDumper(list, Transformer()).upgrade(values, PyFormat.TEXT).dump(values)
    assert bytes(ours) == bytes(theirs)


@pytest.mark.django_db
def test_texts_survive_a_round_trip_as_an_array():
    if connection.vendor != "postgresql":
        pytest.skip("arrays are a PostgreSQL matter")
    connection.ensure_connection()
    assert connection.connection.adapters.get_dumper(list, PyFormat.TEXT) is FastListDumper
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [TRICKY])
        assert cursor.fetchone()[0] == TRICKY


@pytest.mark.django_db
def test_update_rows_and_copy_rows_store_what_save_would(world):
    from tsur.channels.models import ChannelConfig, InboundMessage

    config = ChannelConfig.objects.create(code="db-test", kind="vk", name="ВК")
    rows = [InboundMessage(channel=config, external_id=str(i), raw={"text": text, "n": i}) for i, text in enumerate(TRICKY[:-1])]
    copy_rows(InboundMessage, rows)
    stored = list(InboundMessage.objects.filter(channel=config).order_by("pk"))
    assert [r.raw for r in stored] == [{"text": t, "n": i} for i, t in enumerate(TRICKY[:-1])]
    for row, text in zip(stored, TRICKY, strict=False):
        row.text, row.decision, row.reply_to, row.complaint_probability = text, text[:300], {"post": text}, None
    stored[0].complaint_probability = 0.25
    update_rows(InboundMessage, stored, ("text", "decision", "reply_to", "complaint_probability"))
    again = list(InboundMessage.objects.filter(channel=config).order_by("pk"))
    assert [r.text for r in again] == TRICKY[:-1] and [r.reply_to for r in again] == [{"post": t} for t in TRICKY[:-1]]
    assert again[0].complaint_probability == 0.25 and again[1].complaint_probability is None
