"""Under a stream of changes a day is recounted at most once per TSUR_ANALYTICS_RECOUNT_SECONDS:
the marks made meanwhile wait for the next recount or the sweeper, and none is lost."""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from tests.analytics.helpers import DAY0
from tests.factories import new_appeal
from tsur.analytics import tasks
from tsur.analytics.models import DirtyDay
from tsur.appeals import services
from tsur.core import clock


def test_it_asks_for_one_recount_per_window_and_the_sweeper_takes_the_rest(world, settings, monkeypatch):
    settings.TSUR_ANALYTICS_RECOUNT_SECONDS = 15
    cache.clear()
    asked: list[list[str]] = []
    monkeypatch.setattr(tasks.tasks, "enqueue", lambda name, days: asked.append(days))
    with clock.at(DAY0):
        a = new_appeal(world)
        b = new_appeal(world)
        services.route_appeal(a, world.operator)
    assert len(asked) == 1  # five changes of the day (two created, triaged, one routed), one recount asked
    assert DirtyDay.objects.filter(day=DAY0.date()).exists()  # the later changes' marks are kept
    cache.delete("tsur.analytics.recount-asked")  # the window has passed
    with clock.at(DAY0):
        services.route_appeal(b, world.operator)
    assert len(asked) == 2
    monkeypatch.undo()
    # Nothing asked for the marks left at the stream's end: the sweeper recounts them.
    assert tasks.sweep(clock.now() + dt.timedelta(minutes=2)) >= 1
    assert not DirtyDay.objects.exists()


def test_it_asks_after_every_change_without_a_window(world, settings, monkeypatch):
    settings.TSUR_ANALYTICS_RECOUNT_SECONDS = 0
    asked: list[list[str]] = []
    monkeypatch.setattr(tasks.tasks, "enqueue", lambda name, days: asked.append(days))
    with clock.at(DAY0):
        a = new_appeal(world)
        services.route_appeal(a, world.operator)
    assert len(asked) == 3  # created, triaged into moderation, routed: one recount each
