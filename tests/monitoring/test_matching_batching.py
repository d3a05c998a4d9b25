"""The appeal matcher under load: a message matches, besides its own appeals, the others waiting
(up to CLAIM_APPEALS_AT_MOST), so a burst of single-appeal messages is matched in a few batches;
the messages after them stop after one statement. Each appeal is matched once, with the links
it gets one by one."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.monitoring.helpers import T0, event, heating_appeal, pressure_kind
from tsur.core import clock
from tsur.monitoring import matching, tasks
from tsur.monitoring.models import Link, PendingAppeal

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)
N = 7


@pytest.fixture
def burst(world, settings, monkeypatch):
    """An event, then N appeals about it whose matcher messages were lost (a broker that drops
    every message): each is recorded as waiting, and its message is what the test sends."""
    from tsur.core.tasks import registered

    kind = pressure_kind(world)
    event(kind, T0)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    for task in registered().values():
        monkeypatch.setattr(task, "delay", lambda *args: None)
    with clock.at(T0 + H):
        ids = [heating_appeal(world, T0 + H + dt.timedelta(minutes=k)).pk for k in range(N)]
        matching.mark_appeals(ids)  # recorded by the subscriber (again: marking is idempotent)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    assert PendingAppeal.objects.filter(appeal_id__in=ids).count() == N and not Link.objects.exists()
    return ids


def _links() -> list[tuple]:
    return sorted(Link.objects.values_list("event_id", "appeal_id", "score", "reason", "role", "status"))


def test_a_burst_is_matched_in_a_few_batches_each_appeal_once_with_the_links_of_one_by_one(burst, monkeypatch):
    point = transaction.savepoint()
    monkeypatch.setattr(tasks, "CLAIM_APPEALS_AT_MOST", 1)
    assert [tasks.match_appeals([pk]) for pk in burst] == [1] * N
    one_by_one = _links()
    transaction.savepoint_rollback(point)
    assert not Link.objects.exists() and PendingAppeal.objects.count() == N

    limit = 3
    monkeypatch.setattr(tasks, "CLAIM_APPEALS_AT_MOST", limit)
    matched: list[list[int]] = []
    real = matching._match_appeals
    monkeypatch.setattr(matching, "_match_appeals", lambda ids: matched.append(list(ids)) or real(ids))
    for pk in burst:
        tasks.match_appeals([pk])
    assert len(matched) <= math.ceil(N / limit)
    assert sorted(pk for batch in matched for pk in batch) == burst  # each appeal once
    assert _links() == one_by_one and len(one_by_one) == N
    assert not PendingAppeal.objects.exists()


def test_a_message_whose_appeals_are_matched_does_nothing_in_one_statement(burst):
    assert tasks.match_appeals([burst[0]]) == N  # its own, and the others waiting with it
    assert not PendingAppeal.objects.exists()
    links = _links()
    for pk in burst[1:]:
        with CaptureQueriesContext(connection) as queries:
            assert tasks.match_appeals([pk]) == 0
        assert len(queries.captured_queries) == 1
    assert _links() == links


def test_an_appeal_marked_again_after_its_match_is_matched_again(burst):
    tasks.match_appeals(burst[:1])
    matching.mark_appeals(burst[2:3])  # moved meanwhile: recorded anew
    assert list(PendingAppeal.objects.values_list("appeal_id", flat=True)) == burst[2:3]
    tasks.match_appeals(burst[5:6])  # a later message of the burst takes it along
    assert not PendingAppeal.objects.exists()
