"""access.can_view asks the database once per appeal object and user while the columns that decide
visibility stay the same (a card asks for each action it offers), and asks again when they change."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import new_appeal
from tsur.appeals import access
from tsur.appeals.models import Appeal


def test_it_asks_once_and_again_after_a_change_of_queue(world):
    appeal = Appeal.objects.get(pk=new_appeal(world, territory_code="city").pk)
    assert appeal.queue_id == world.queue.pk
    with CaptureQueriesContext(connection) as queries:
        assert all(access.can_view(world.city_operator, appeal) for _ in range(5))
    asked = [q for q in queries.captured_queries if '"appeals_appeal"' in q["sql"]]
    assert len(asked) == 1

    Appeal.objects.filter(pk=appeal.pk).update(queue=None)
    appeal.queue_id = None  # the object follows the row, as after a transition
    assert access.can_view(world.city_operator, appeal) is False
    assert access.can_view(world.operator, appeal) is True  # another user: asked for itself
