"""The platform's points: appeals that arrive mark their series and a background task recomputes
them at once; the full recompute finds the same points; decisions survive recomputation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from tests.factories import new_appeal
from tests.tension.platform import NOW, history, the_point
from tsur.core import clock
from tsur.tension import services
from tsur.tension.models import DirtySeries, Handling, State, TensionAction, TensionPoint
from tsur.tension.tasks import refresh_live, requeue_dirty

pytestmark = pytest.mark.django_db


def test_it_finds_a_surge_in_the_platforms_appeals(world):
    history(world)
    point = the_point()
    assert point.state in (State.NEW, State.GROWING)
    assert point.count >= 20
    assert point.territory == world.district
    assert point.block == world.roads
    assert point.appeals.count() == point.count
    assert "Ямы на дороге (Дороги) — Район:" in point.explanation
    assert "district" not in point.explanation and "pothole" not in point.explanation
    assert point.series and point.series[-1]["day"] <= "2025-03-20"
    assert not DirtySeries.objects.exists()
    # The block sees it too.
    assert TensionPoint.objects.filter(level="block", block=world.roads, category=None, place="district").exists()


def test_it_updates_the_point_when_a_new_appeal_arrives(world):
    history(world)
    before = the_point()
    with clock.at(NOW + dt.timedelta(minutes=5)):
        appeal = new_appeal(world)
    after = the_point()
    assert after.pk == before.pk
    assert after.updated_at > before.updated_at
    # Today's appeal is on the trend chart at once (one a day is within the usual level, so the
    # span of the pile-up itself does not stretch to it).
    assert after.series[-1]["day"] == "2025-03-20" and after.series[-1]["count"] == 1
    assert before.series[-1]["day"] == "2025-03-20" and before.series[-1]["count"] == 0
    assert not DirtySeries.objects.exists()
    del appeal


def test_it_keeps_decisions_when_points_are_recomputed(world):
    history(world)
    point = the_point()
    with clock.at(NOW):
        services.dismiss_point(point, world.operator, "Плановый ремонт, известно заранее")
        call_command("tension", "recompute", "--from", "2025-02-01", stdout=_Sink(), stderr=_Sink())
    again = the_point()
    assert again.pk == point.pk
    assert again.handling == Handling.DISMISSED
    assert TensionAction.objects.filter(point=again).count() == 1


def test_it_reopens_a_dismissed_point_only_when_it_grows_markedly(world):
    history(world, surge_days=3, surge_per_day=5)
    point = the_point()
    with clock.at(NOW):
        services.dismiss_point(point, world.operator, "Известная причина, работы идут")
    # A couple more appeals: still dismissed.
    with clock.at(NOW + dt.timedelta(minutes=1)):
        new_appeal(world)
    assert the_point().handling == Handling.DISMISSED
    # Many more: it comes back, audited as the system's decision.
    from tsur.appeals.services import NewAppeal, create_appeals

    items = [
        NewAppeal(channel="operator", text=f"Снова яма {k}", category_code="pothole", territory_code="district", received_at=NOW)
        for k in range(25)
    ]
    with clock.at(NOW + dt.timedelta(minutes=2)):
        create_appeals(items, world.operator)
    back = the_point()
    assert back.handling == Handling.OPEN
    last = back.actions.first()
    assert last.kind == "reopened" and last.actor is None and "Выросла после отклонения" in last.reason


def test_it_sweeps_up_lost_work_and_refreshes_live_points_daily(world, monkeypatch):
    history(world)
    point = the_point()
    DirtySeries.objects.create(block=world.roads, place="district", level="category", topic="pothole", marked_at=NOW - dt.timedelta(minutes=5))
    with clock.at(NOW):
        assert requeue_dirty(NOW) == 1
    assert not DirtySeries.objects.exists()
    # Three weeks later without new appeals the point has resolved after the daily refresh.
    later = NOW + dt.timedelta(days=21)
    with clock.at(later):
        assert refresh_live(later) >= 1
    point.refresh_from_db()
    assert point.state == State.RESOLVED


def test_it_refuses_a_recompute_from_the_future(world):
    from django.core.management.base import CommandError

    with clock.at(NOW), pytest.raises(CommandError, match="in the future"):
        call_command("tension", "recompute", "--from", "2030-01-01", stdout=_Sink(), stderr=_Sink())


class _Sink:
    def write(self, *_a, **_k) -> None:
        pass

    def flush(self) -> None:
        pass


def test_it_recomputes_once_after_a_bulk_load_when_paused(world):
    from tsur.tension.tasks import paused

    with clock.at(NOW), paused():
        history(world)
        assert not TensionPoint.objects.exists()
        assert DirtySeries.objects.filter(block=world.roads).exists()
    assert the_point().count >= 20
    assert not DirtySeries.objects.exists()


def test_it_recomputes_after_a_flag_change_only_the_points_holding_the_appeal(world):
    from tsur.appeals.services import route_appeal
    from tsur.tension import tasks

    history(world)
    point = the_point()
    inside = point.appeals.order_by("pk").first()
    with clock.at(NOW + dt.timedelta(minutes=1)):
        outside = new_appeal(world, category_code="garbage", territory_code="city")
    calls: list[int] = []
    original = tasks.recompute_block
    tasks.recompute_block = lambda block, **kw: calls.append(block.pk) or original(block, **kw)
    try:
        with clock.at(NOW + dt.timedelta(minutes=2)):
            route_appeal(outside, world.operator, organisation_code="waste-op")
            assert calls == []  # not in any point: routing cannot change the points
            route_appeal(inside, world.operator, organisation_code="roads-min")
            assert calls == [world.roads.pk]
    finally:
        tasks.recompute_block = original


def test_it_dates_points_found_in_history_by_when_they_could_be_seen(world):
    from tsur.tension import queries

    history(world, days=90, surge_days=0)
    # A surge long ago, then quiet: a full recompute a month later finds it as history.
    from tsur.appeals.services import NewAppeal, create_appeals

    long_ago = NOW - dt.timedelta(days=40)
    items = [
        NewAppeal(channel="operator", text=f"Яма {k}", category_code="pothole", territory_code="district",
                  received_at=long_ago + dt.timedelta(hours=k))
        for k in range(30)
    ]  # fmt: skip
    with clock.at(NOW):
        create_appeals(items, world.operator)
        call_command("tension", "recompute", "--from", "2025-01-20", stdout=_Sink(), stderr=_Sink())
        point = the_point()
        assert point.state == State.RESOLVED
        assert point.first_seen < NOW - dt.timedelta(days=30)
        assert all(c.point != point for c in queries.changes(NOW - dt.timedelta(days=1)))


def test_marking_reads_the_same_statements_for_one_appeal_as_for_many(world, django_assert_num_queries):
    """The appeals are read with only the columns the marks need (a storm's batch marks hundreds):
    a column left out would be read again for each appeal. Every appeal's series are marked, by
    category and by block, and its placement written."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tsur.tension.models import Placement
    from tsur.tension.tasks import mark_appeals

    appeals = [new_appeal(world, category_code=code) for code in ("pothole", "pothole", "garbage", "snow", "pothole")]
    DirtySeries.objects.all().delete()
    Placement.objects.all().delete()
    with CaptureQueriesContext(connection) as one:
        mark_appeals([appeals[0].pk])
    DirtySeries.objects.all().delete()
    Placement.objects.all().delete()
    with django_assert_num_queries(len(one.captured_queries)):
        blocks = mark_appeals([a.pk for a in appeals])
    assert sorted(blocks) == sorted({a.block_id for a in appeals})
    marked = set(DirtySeries.objects.values_list("block__key", "level", "topic"))
    assert {(a.block.key, "category", a.category.code) for a in appeals} | {(a.block.key, "block", a.block.key) for a in appeals} == marked
    assert set(Placement.objects.values_list("appeal_id", "category")) == {(a.pk, a.category.code) for a in appeals}
