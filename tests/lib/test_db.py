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


@pytest.mark.django_db
def test_insert_row_stores_what_bulk_create_would(world):
    """One row through `insert_row` (the resident's request) and its twin through bulk_create give
    the same stored values: defaults, `auto_now`, JSON, and the id of a related row saved after
    the object was built."""
    from tsur.appeals.models import Appeal, Event, Resident, Status
    from tsur.core.db import insert_row

    def build(number: str) -> tuple[Resident, Appeal, Event]:
        resident = Resident(name="Житель", phone="+7 900 000-00-00", email="a@example.org")
        appeal = Appeal(number=number, channel="app", regime="59fz", text="Яма «у дома» \\ 5", resident=resident,
                        territory=world.district, category=world.pothole, status=Status.RECEIVED)  # fmt: skip
        event = Event(appeal=appeal, kind="created", actor_label="житель", to_status=Status.RECEIVED, data={"channel": "app", "n": [1, "два"]})
        return resident, appeal, event

    ours, theirs = build("T-1"), build("T-2")
    for row in ours:
        insert_row(type(row), row)
    for row in theirs:
        type(row).objects.bulk_create([row])
    for mine, other in zip(ours, theirs, strict=True):
        assert mine.pk is not None and not mine._state.adding
        stored, expected = ({f.attname: getattr(type(r).objects.get(pk=r.pk), f.attname) for f in r._meta.concrete_fields} for r in (mine, other))
        differ = {name for name in stored if stored[name] != expected[name]}
        moments = {"created_at", "updated_at", "received_at", "at"}  # the moment each was built and written
        assert differ <= {"id", "number", "access_key", "resident_id", "appeal_id"} | moments, differ
        assert all(stored[name] is not None for name in moments & set(stored))
    assert Event.objects.get(pk=ours[2].pk).appeal_id == ours[1].pk and Appeal.objects.get(pk=ours[1].pk).resident_id == ours[0].pk
    assert Appeal.objects.get(pk=ours[1].pk).updated_at is not None


@pytest.mark.django_db
def test_any_of_picks_the_same_rows_as_in_with_one_parameter_on_postgresql(world):
    """`__any_of` selects what `__in` selects, on a key and on a relation, for an empty list too;
    on PostgreSQL the whole list is one parameter (an `IN` list is one per value)."""
    from tests.factories import new_appeal
    from tsur.appeals.models import Appeal, Event

    appeals = [new_appeal(world, text=f"Яма на дороге номер {i}") for i in range(5)]
    chosen = [appeals[0].pk, appeals[3].pk, appeals[4].pk, 10**12]  # one id that is no appeal's
    for lookup, model in (("pk", Appeal), ("appeal_id", Event)):
        for ids in (chosen, [], chosen[:1]):
            expected = set(model.objects.filter(**{f"{lookup}__in": ids}).values_list("pk", flat=True))
            got = set(model.objects.filter(**{f"{lookup}__any_of": ids}).values_list("pk", flat=True))
            assert got == expected
    assert set(Appeal.objects.filter(pk__any_of=chosen).values_list("pk", flat=True)) == {appeals[i].pk for i in (0, 3, 4)}
    if connection.vendor == "postgresql":
        sql, params = Event.objects.filter(appeal_id__any_of=chosen).values_list("pk").query.sql_with_params()
        assert "= ANY(" in sql and list(params) == [chosen]
