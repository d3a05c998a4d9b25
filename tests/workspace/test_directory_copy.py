"""The queue's rows and the card take the appeal's territory, block, category, organisation and
queue from the process's copy of those tables (tsur.workspace.directory), not from joins: the
queue's statements do not grow with its rows, the card reads none of those tables, a rename saved
in this process shows at once, and a row added where no signal told the copy (bulk_create) is read
for the page that needs it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal
from tsur.directory.models import Territory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def kept(settings):
    settings.TSUR_REFERENCE_CACHE_SECONDS = 60


def _rows_statement(queries) -> str:
    return next(q["sql"] for q in queries if 'FROM "appeals_appeal"' in q["sql"] and "ORDER BY" in q["sql"])


def test_the_statements_do_not_grow_with_the_rows(desk, world, kept):
    desk.as_(world.operator)
    services.route_appeal(new_appeal(world), world.operator)
    desk.queue()
    with CaptureQueriesContext(connection) as one:
        assert desk.queue().status_code == 200
    for category, territory in [("garbage", "village"), ("snow", "city"), ("heating", "district"), ("pothole", "village")]:
        services.route_appeal(new_appeal(world, category_code=category, territory_code=territory), world.operator)
    with CaptureQueriesContext(connection) as five:
        body = desk.queue().content.decode()
    assert len(five) == len(one)
    assert "Регоператор" in body and "Село" in body and "Не вывозят мусор" in body and "Горадмин" in body
    sql = _rows_statement(five.captured_queries)
    assert "directory_" not in sql and "JOIN" in sql  # the executor's join only


def test_a_rename_saved_here_shows_at_once(desk, world, kept):
    services.route_appeal(new_appeal(world, category_code="garbage"), world.operator)
    desk.as_(world.operator)
    assert "Регоператор" in desk.queue().content.decode()
    world.waste_operator.short_name = "Оператор ТКО"
    world.waste_operator.save()
    body = desk.queue().content.decode()
    assert "Оператор ТКО" in body and "Регоператор" not in body


def test_a_row_the_copy_does_not_have_is_read(desk, world, kept):
    desk.as_(world.operator)
    new_appeal(world)
    desk.queue()  # the copy is taken
    (hamlet,) = Territory.objects.bulk_create([Territory(code="hamlet", name="Хутор", level="settlement", parent=world.district)])
    Appeal.objects.filter(pk__in=[new_appeal(world).pk, new_appeal(world).pk]).update(territory=hamlet)
    with CaptureQueriesContext(connection) as q:
        body = desk.queue().content.decode()
    assert body.count("Хутор") >= 2
    reads = [x["sql"] for x in q.captured_queries if 'FROM "directory_territory"' in x["sql"]]
    assert len(reads) == 1 and " IN (" in reads[0]  # one read for the page, not one per row


def test_the_card_reads_the_directory_from_the_copy(desk, world, kept):
    appeal = new_appeal(world, territory_code="city", category_code="snow")
    services.route_appeal(appeal, world.operator)
    desk.as_(world.operator).card(appeal)
    with CaptureQueriesContext(connection) as q:
        body = desk.card(appeal).content.decode()
    assert "Снег на дороге" in body and '<dd data-testid="organisation">Администрация города</dd>' in body and "Город" in body
    statement = next(x["sql"] for x in q.captured_queries if x["sql"].startswith('SELECT "appeals_appeal"."id", "appeals_appeal"."number"'))
    assert "directory_" not in statement  # the resident, the executor and the problem are still joined
    appeal.refresh_from_db()
    own = {"category": appeal.category_id, "organisation": appeal.organisation_id, "block": appeal.block_id, "territory": appeal.territory_id}
    own_read = re.compile(r'FROM "directory_(\w+)" WHERE "directory_\w+"."id" = (\d+)')
    reads = [(m[1], int(m[2])) for x in q.captured_queries if (m := own_read.search(x["sql"]))]
    assert not [r for r in reads if own.get(r[0]) == r[1]]  # (the operator's own organisation may be read)
    world.city_admin.name = "Администрация Калуги"
    world.city_admin.save()
    assert '<dd data-testid="organisation">Администрация Калуги</dd>' in desk.card(appeal).content.decode()
