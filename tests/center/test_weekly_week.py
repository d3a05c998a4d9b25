"""The week a weekly report covers: ISO weeks in Moscow time, parsed from «2026-W47» or a date,
with Russian messages for what cannot be a week."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.core.errors import ValidationFailed
from tsur.workspace.center.weekly_week import Week

TODAY = dt.date(2026, 11, 25)  # a Wednesday of week 48


def test_it_takes_the_last_complete_week_by_default():
    assert Week.parse("", today=TODAY) == Week(2026, 47)
    assert Week.last_complete(dt.date(2026, 11, 23)) == Week(2026, 47)  # a Monday: last week is done
    assert Week.last_complete(dt.date(2026, 11, 22)) == Week(2026, 46)  # a Sunday: this week is not


def test_it_reads_an_iso_week_or_a_date_inside_it():
    assert Week.parse("2026-W47", today=TODAY) == Week(2026, 47)
    assert Week.parse("2026w7", today=TODAY) == Week(2026, 7)
    assert Week.parse("2026-11-18", today=TODAY) == Week(2026, 47)
    assert Week.parse("2021-01-02", today=TODAY) == Week(2020, 53)


def test_it_knows_the_weeks_days_and_moments_in_moscow_time():
    w = Week(2026, 47)
    assert (w.monday, w.sunday) == (dt.date(2026, 11, 16), dt.date(2026, 11, 22))
    assert w.start.isoformat() == "2026-11-16T00:00:00+03:00"
    assert w.end.isoformat() == "2026-11-23T00:00:00+03:00"
    assert w.previous() == Week(2026, 46) and w.next() == Week(2026, 48)
    assert Week(2027, 1).previous() == Week(2026, 53)
    assert w.label == "2026-W47"


def test_it_writes_the_week_in_russian():
    assert Week(2026, 47).title() == "неделя 47: 16–22 ноября 2026 г."
    assert Week(2026, 49).title() == "неделя 49: 30 ноября — 6 декабря 2026 г."
    assert Week(2026, 53).title() == "неделя 53: 28 декабря 2026 г. — 3 января 2027 г."


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("2026-W60", "не распознана"),
        ("неделя", "не распознана"),
        ("2026-13-01", "не распознана"),
        ("2026-W49", "ещё не началась"),
        ("2027-01-10", "ещё не началась"),
    ],
)
def test_it_refuses_what_is_not_a_week_yet(raw, message):
    with pytest.raises(ValidationFailed) as caught:
        Week.parse(raw, today=TODAY)
    assert message in caught.value.message
    assert "week" in caught.value.field_errors
