"""Time left to the deadline in the regime's working time: hours for incidents, days otherwise."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tests.factories import new_appeal
from tsur.appeals.models import Appeal, Status
from tsur.core import clock
from tsur.deadlines.compute import calendar_for, policy_for_regime
from tsur.workspace.countdown import countdown

MSK = ZoneInfo("Europe/Moscow")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=MSK)


def left(regime: str, due: dt.datetime, now: dt.datetime, *, status: str = Status.ROUTED, urgency: str = "normal"):
    appeal = Appeal(regime=regime, due_at=due, status=status, urgency=urgency)
    return countdown(appeal, now, cal=calendar_for(None), policy=policy_for_regime(regime)[0])


@pytest.mark.django_db
def test_it_counts_working_hours_and_minutes_for_an_incident():
    cd = left("incident", at(2026, 12, 1, 13, 20), at(2026, 12, 1, 10, 0))  # a Tuesday
    assert cd.text == "осталось 3 ч 20 мин рабочего времени"
    assert cd.short == "осталось 3 ч 20 мин"
    assert (cd.unit, cd.minutes, cd.running, cd.state) == ("minutes", 200, True, "ok")
    assert cd.until == at(2026, 12, 1, 18, 0)  # the clock stops at the end of the working day


@pytest.mark.django_db
def test_it_stops_the_clock_outside_working_hours_and_says_when_it_resumes():
    # Friday evening to Monday 11:00: only two working hours remain, the clock stands until Monday 9:00.
    cd = left("incident", at(2026, 12, 7, 11, 0), at(2026, 12, 4, 19, 30))
    assert cd.text == "осталось 2 ч рабочего времени"
    assert (cd.running, cd.state) == (False, "paused")
    assert cd.until == at(2026, 12, 7, 9, 0)


@pytest.mark.django_db
def test_it_counts_an_overdue_incident_in_working_time_only():
    # Due Monday 10:00; Tuesday 10:00 is 8 h (Monday 10-18) + 1 h (Tuesday 9-10) of working time later.
    cd = left("incident", at(2026, 11, 30, 10, 0), at(2026, 12, 1, 10, 0))
    assert cd.text == "просрочено на 9 ч рабочего времени"
    assert (cd.minutes, cd.state, cd.running) == (-540, "overdue", True)


@pytest.mark.django_db
def test_it_marks_less_than_two_working_hours_as_soon():
    cd = left("incident", at(2026, 12, 1, 11, 45), at(2026, 12, 1, 10, 0))
    assert (cd.text, cd.state) == ("осталось 1 ч 45 мин рабочего времени", "soon")


@pytest.mark.django_db
def test_it_counts_working_days_for_the_other_regimes():
    # Tuesday to the end of Friday: Wednesday, Thursday and Friday remain.
    cd = left("message", at(2026, 12, 4, 18, 0), at(2026, 12, 1, 10, 0))
    assert (cd.text, cd.unit, cd.state, cd.running) == ("осталось 3 раб. дня", "days", "ok", False)
    assert left("appeal", at(2026, 12, 2, 18, 0), at(2026, 12, 1, 10, 0)).state == "soon"
    assert left("appeal", at(2026, 12, 1, 18, 0), at(2026, 12, 1, 10, 0)).text == "срок сегодня до 18:00"


@pytest.mark.django_db
def test_it_counts_overdue_working_days_skipping_the_weekend():
    # Due Thursday 26.11; on Tuesday 1.12 Friday, Monday and Tuesday have passed (the weekend does not count).
    cd = left("message", at(2026, 11, 26, 18, 0), at(2026, 12, 1, 10, 0))
    assert (cd.text, cd.state) == ("просрочено на 3 раб. дня", "overdue")
    assert left("message", at(2026, 11, 30, 18, 0), at(2026, 12, 1, 10, 0)).text == "просрочено на 1 раб. день"
    assert left("message", at(2026, 12, 1, 9, 30), at(2026, 12, 1, 10, 0)).text == "просрочено с 09:30"


@pytest.mark.django_db
def test_it_has_no_countdown_for_a_closed_appeal_or_one_without_a_deadline():
    assert left("message", at(2026, 12, 4, 18, 0), at(2026, 12, 1, 10, 0), status=Status.CLOSED) is None
    assert (
        countdown(
            Appeal(regime="message", status=Status.ROUTED), at(2026, 12, 1, 10, 0), cal=calendar_for(None), policy=policy_for_regime("message")[0]
        )
        is None
    )


def test_it_shows_the_countdown_in_the_queue_and_on_the_card(desk, world):
    with clock.at(at(2026, 12, 1, 10, 0)):
        a = new_appeal(world, channel="vk", external_id="vk-cd-1")  # a public post: the incident regime
        Appeal.objects.filter(pk=a.pk).update(due_at=at(2026, 12, 1, 13, 20), regime="incident", status=Status.ROUTED)
        body = desk.as_(world.operator).queue().content.decode()
        assert "осталось 3 ч 20 мин</span>" in body
        assert 'data-minutes="200" data-running="1"' in body
        card = desk.card(a).content.decode()
        assert "осталось 3 ч 20 мин рабочего времени</span>" in card


@pytest.mark.django_db
def test_it_counts_an_incident_late_by_days_in_working_days():
    # Due Monday 23.11 10:00; on Tuesday 1.12 six working days have passed (24-27.11, 30.11, 1.12).
    cd = left("incident", at(2026, 11, 23, 10, 0), at(2026, 12, 1, 10, 0))
    assert (cd.text, cd.state, cd.unit) == ("просрочено на 6 раб. дней", "overdue", "days")
