"""Tension tells polls when a live point of tension resolves (tension.services._write calls
polls.followup.point_resolved); a point first found resolved asks nobody."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from tests.analytics.helpers import DAY0, answered
from tests.center.helpers import make_point
from tsur.core import clock
from tsur.polls.models import FollowUp, Poll
from tsur.tension import services as tension
from tsur.tension.engine.model import CATEGORY, DayPoint, Point, SeriesKey
from tsur.tension.models import State
from tsur.tension.records import Places

pytestmark = pytest.mark.django_db

RESOLVED_AT = DAY0 + dt.timedelta(days=10)


def found(world, appeals, state: str) -> Point:
    start = DAY0.date()
    return Point(
        key=SeriesKey(world.district.code, CATEGORY, "pothole"), parent_place=world.district.code, block="roads",
        start=start, end=start + dt.timedelta(days=7), count=len(appeals), expected=0.5, peak_start=start, peak_days=7,
        peak_count=len(appeals), peak_expected=0.5, surprise=3.0, sharpening=1.0, score=3.0, state=state, flags={},
        ids=[str(a.pk) for a in appeals], series=[DayPoint(start + dt.timedelta(days=i), 1, 0.1) for i in range(7)],
    )  # fmt: skip


def write(world, tp, p):
    with clock.at(RESOLVED_AT), transaction.atomic():
        return tension._write(
            tp, p, world.roads, {"pothole": world.pothole}, {int(i): None for i in p.ids}, tension._Names(world.roads), Places(), clock.now()
        )


def test_a_live_point_that_resolves_asks_its_residents(world):
    appeals = [answered(world, DAY0), answered(world, DAY0, email="maria@example.org")]
    tp = make_point(world, appeals=appeals, first_seen=DAY0, start=DAY0.date(), state=State.EASING)
    write(world, tp, found(world, appeals, State.EASING))
    assert not FollowUp.objects.exists()  # still live
    write(world, tp, found(world, appeals, State.RESOLVED))
    rows = list(FollowUp.objects.order_by("appeal_id"))
    assert [f.appeal_id for f in rows] == [a.pk for a in appeals]
    assert {f.source for f in rows} == {"tension"} and {f.state for f in rows} == {"sent"}
    poll = Poll.objects.get()
    assert poll.subject_tension_point_id == tp.pk and poll.subject_label == "Ямы на дороге, Район"
    # Resolved again (a recompute of the same days): nobody is asked twice.
    write(world, tp, found(world, appeals, State.RESOLVED))
    assert FollowUp.objects.count() == 2


def test_a_point_first_found_resolved_asks_nobody(world):
    appeals = [answered(world, DAY0)]
    write(world, None, found(world, appeals, State.RESOLVED))
    assert not FollowUp.objects.exists()
