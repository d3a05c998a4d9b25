"""The queue's counters: the open appeals (per status, overdue, due within 24 h) counted on every
page; the finished ones (published, closed, rejected, joined) kept in the shared cache for
TSUR_QUEUE_ARCHIVE_COUNT_SECONDS per scope and filters, and counted exactly when the list shown is
of finished appeals (its pages are numbered by that count)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import new_appeal
from tests.workspace.helpers import numbers
from tsur.appeals import services
from tsur.appeals.models import Appeal, Status
from tsur.core import clock


@pytest.fixture
def kept(settings):  # the cache starts and ends empty (tests/conftest.py: _fresh_cache)
    settings.TSUR_QUEUE_ARCHIVE_COUNT_SECONDS = 60


def _counts(response) -> dict[str, int]:
    return {c["code"]: c["count"] for c in response.context["result"].counters}


def _close(*appeals) -> None:
    Appeal.objects.filter(pk__in=[a.pk for a in appeals]).update(status=Status.CLOSED)


def test_finished_counts_are_kept_and_open_ones_counted_on_every_page(desk, world, kept):
    first, second, third = new_appeal(world), new_appeal(world), new_appeal(world)
    services.reject_appeal(first, world.operator, reason_code="spam")
    desk.as_(world.operator)
    before = desk.queue()
    assert _counts(before)["rejected"] == 1 and _counts(before)["moderation"] == 2

    services.reject_appeal(second, world.operator, reason_code="spam")
    after = desk.queue()
    assert _counts(after)["moderation"] == 1 and after.context["result"].total_open == 1  # at once
    assert _counts(after)["rejected"] == 1  # kept: the same statement within the period
    assert 'title="Обновляется раз в минуту"><span class="counter-n">1</span>Отклонено' in after.content.decode()

    listed = desk.queue(status="rejected")  # a list of finished appeals: counted exactly
    assert _counts(listed)["rejected"] == 2 and numbers(listed) == {first.number, second.number}
    assert listed.context["page"].paginator.count == 2
    assert "Обновляется раз в минуту" not in listed.content.decode()

    cache.clear()  # the period is over
    assert _counts(desk.queue())["rejected"] == 2
    assert third.number in numbers(desk.queue())


def test_each_scope_and_filter_is_counted_apart(desk, world, kept):
    roads = new_appeal(world)
    waste = [new_appeal(world, category_code="garbage") for _ in range(2)]
    for appeal in (roads, *waste):
        services.route_appeal(appeal, world.operator)
    _close(roads, *waste)
    assert _counts(desk.as_(world.operator).queue())["closed"] == 3
    assert _counts(desk.queue(block="waste"))["closed"] == 2
    assert _counts(desk.queue(block="roads"))["closed"] == 1  # the same statement, another value
    assert _counts(desk.as_(world.coordinator).queue())["closed"] == 1  # roads only: not the operator's
    assert _counts(desk.as_(world.waste_coordinator).queue())["closed"] == 2  # another organisation


def test_without_the_period_every_counter_is_exact(desk, world, settings):
    settings.TSUR_QUEUE_ARCHIVE_COUNT_SECONDS = 0
    appeals = [new_appeal(world) for _ in range(5)]
    services.route_appeal(appeals[0], world.operator)
    services.reject_appeal(appeals[1], world.operator, reason_code="spam")
    desk.as_(world.operator)
    assert _counts(desk.queue())["rejected"] == 1
    _close(appeals[2], appeals[3])
    counts = _counts(desk.queue())
    expected = {code: Appeal.objects.filter(status=code).count() for code in Status.values}
    assert counts == expected and counts["closed"] == 2 and counts["routed"] == 1


def test_the_deadline_filters_count_no_finished_appeal(desk, world, kept):
    late = new_appeal(world)
    services.route_appeal(late, world.operator)
    closed = new_appeal(world)
    services.route_appeal(closed, world.operator)
    Appeal.objects.filter(pk=late.pk).update(due_at=clock.now() - dt.timedelta(days=1))
    Appeal.objects.filter(pk=closed.pk).update(due_at=clock.now() - dt.timedelta(days=1), status=Status.CLOSED)
    desk.as_(world.operator)
    with CaptureQueriesContext(connection) as q:
        response = desk.queue(overdue="on")
    counts = _counts(response)
    assert counts["closed"] == 0 and counts["routed"] == 1 and numbers(response) == {late.number}
    finished = [x for x in q.captured_queries if "GROUP BY" in x["sql"] and 'FROM "appeals_appeal"' in x["sql"]]
    assert not finished  # no pass over the finished appeals: none can be overdue
