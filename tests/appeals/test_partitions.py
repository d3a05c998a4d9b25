"""The event log's monthly partitions (tsur.appeals.partitions, `tsur events`): the conversion keeps
every row, id and reference, the ORM goes on writing and reading as before, and the periodic job
keeps the months ahead ready and DEFAULT empty."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, models

from tests.factories import new_appeal
from tsur.appeals import partitions
from tsur.appeals.models import Event
from tsur.appeals.services import log_event
from tsur.core import clock
from tsur.core.tasks import periodic_jobs
from tsur.deadlines.models import StaffAlert

MSK = ZoneInfo("Europe/Moscow")
# A Moscow midnight that is still the previous day in UTC: the month is the deployment's.
T0 = dt.datetime(2026, 9, 1, 0, 30, tzinfo=MSK)
NOW = dt.datetime(2026, 12, 5, 12, 0, tzinfo=MSK)

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are a PostgreSQL matter: set TSUR_DATABASE_URL=postgres://…"
)


def snapshot() -> list[tuple]:
    return list(Event.objects.order_by("pk").values_list("pk", "appeal_id", "kind", "at", "reason", "data"))


def where(event_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM appeals_event WHERE id = %s", [event_id])
        return cursor.fetchone()[0]


@postgres_only
def test_the_conversion_keeps_every_event_and_the_orm_goes_on(world):
    with clock.at(T0):
        a = new_appeal(world)
    with clock.at(T0 + dt.timedelta(days=45)):
        log_event(a, "note_added", world.operator, reason="октябрь")
        b = new_appeal(world, text="Мусор не вывозят неделю")
    first = Event.objects.filter(appeal=a).order_by("pk").first()
    alert = StaffAlert.objects.create(appeal=a, kind="reminder", organisation=world.roads_ministry, text="Напоминание", event=first)
    before, top = snapshot(), Event.objects.order_by("-pk").first().pk
    assert not partitions.is_partitioned()
    out = io.StringIO()
    with pytest.raises(CommandError, match="--yes"):
        call_command("events", "partition", stdout=out)  # not without the confirmation
    with clock.at(NOW):
        call_command("events", "partition", "--yes", stdout=out)
    assert f"Событий: {len(before)};" in out.getvalue()
    assert partitions.is_partitioned()
    assert snapshot() == before  # every row, id, time and text
    names = [p.name for p in partitions.partitions()]
    # From the oldest event's month (Moscow time) to three months ahead, and DEFAULT.
    assert names == ["appeals_event_default"] + [f"appeals_event_y{y}m{m:02d}" for y, m in
                     [(2026, 9), (2026, 10), (2026, 11), (2026, 12), (2027, 1), (2027, 2), (2027, 3)]]  # fmt: skip
    assert where(first.pk) == "appeals_event_y2026m09"
    assert {p.name: p.rows for p in partitions.partitions()}["appeals_event_default"] == 0
    # Writing and reading through the ORM as before; ids go on from the last one.
    with clock.at(NOW):
        fresh = log_event(b, "note_added", world.operator, reason="декабрь")
    assert fresh.pk > top and where(fresh.pk) == "appeals_event_y2026m12"
    assert [e.reason for e in Event.objects.filter(appeal=b, kind="note_added")] == ["декабрь"]
    assert StaffAlert.objects.get(pk=alert.pk).event == first
    models.QuerySet(model=Event).filter(pk=fresh.pk).update(reason="исправлено")  # as the purge's one sanctioned rewrite
    assert Event.objects.get(pk=fresh.pk).reason == "исправлено"
    with pytest.raises(CommandError, match="уже секционирован"):
        call_command("events", "partition", "--yes", stdout=io.StringIO())


@postgres_only
def test_the_job_makes_the_months_ahead_and_empties_default(world):
    with clock.at(NOW):
        a = new_appeal(world)
        partitions.partition_events(NOW)
    job = periodic_jobs()["appeals.event_partitions"]
    assert job(NOW) == 0  # everything is there already
    # An event dated outside every partition (an import of old history) lands in DEFAULT…
    stray_at = dt.datetime(2024, 2, 10, 9, 0, tzinfo=MSK)
    with clock.at(stray_at):
        stray = log_event(a, "note_added", reason="из архива")
    assert where(stray.pk) == "appeals_event_default"
    before = snapshot()
    # …and the next tick, four months on, moves it to its own month and adds the months ahead.
    later = NOW + dt.timedelta(days=120)
    made = partitions.ensure_partitions(later)
    assert made.moved == 1 and "appeals_event_y2024m02" in made.created and "appeals_event_y2027m07" in made.created
    assert where(stray.pk) == "appeals_event_y2024m02"
    assert {p.name: p.rows for p in partitions.partitions()}["appeals_event_default"] == 0
    assert snapshot() == before
    assert job(later) == 0


def test_sqlite_keeps_one_table_and_says_so(world):
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is the embedded database's")
    with pytest.raises(CommandError, match="только в PostgreSQL"):
        call_command("events", "partition", "--yes", stdout=io.StringIO())
    assert partitions.ensure_partitions(NOW).created == []
    out = io.StringIO()
    call_command("events", "partitions", stdout=out)
    assert "одна таблица" in out.getvalue()
