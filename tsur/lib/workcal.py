"""Working-time arithmetic on the Russian production calendar.

Pure Python (no Django): the `holidays` package supplies days off, transferred days off and
working Saturdays; shortened pre-holiday days (Labour Code art. 95) are derived here, because
`holidays` does not model them.

Rules (PRODUCT.md, "Counting rules"):
- working hours: only working minutes count; an arrival outside them starts at the next working
  minute; hours that run out exactly at a day's end give that day's end;
- working days: the day of arrival does not count; due at the end of the Nth working day after it;
- calendar days: the day of registration does not count; a due date on a non-working day moves
  to the next working day; due at the end of that day.

Shortened days, two rules (`WorkCalendar.preholiday_rule`):
- "span" (default, PRODUCT.md): the last working day before an art. 112 holiday, with only
  non-working days between, is one hour shorter: 2024-12-28, 2025-11-01, but also 2025-12-30.
- "adjacent" (how the Ministry of Labour applies art. 95 in the published calendars): only the
  working day right before the holiday is shorter; a working Saturday stands in for the Monday
  after it. 2025-11-01 (Monday 3rd precedes the 4th) is shortened; 2024-12-28, 2025-05-07 and
  2025-12-30 (followed by a transferred day off, not a holiday) are full days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DEFAULT_TZ",
    "PREHOLIDAY_ADJACENT",
    "PREHOLIDAY_SPAN",
    "STATUTORY_HOLIDAYS",
    "UNITS",
    "DayOverride",
    "WorkCalendar",
    "is_statutory_holiday",
    "production_is_shortened",
    "production_is_working_day",
]

DEFAULT_TZ = ZoneInfo("Europe/Moscow")

# Non-working public holidays of Labour Code art. 112, as (month, day).
STATUTORY_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    [(1, day) for day in range(1, 9)] + [(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)]
)

UNITS = ("working_hours", "working_days", "calendar_days")

PREHOLIDAY_SPAN = "span"
PREHOLIDAY_ADJACENT = "adjacent"

# No real calendar has a run of non-working days this long; past it the input is broken.
_MAX_SCAN_DAYS = 3700
# The longest run of days off between a working day and a holiday (New Year) is well under this.
_PREHOLIDAY_LOOKAHEAD = 20


def is_statutory_holiday(day: dt.date) -> bool:
    """True for the art. 112 holidays (whatever the day of the week)."""
    return (day.month, day.day) in STATUTORY_HOLIDAYS


@lru_cache(maxsize=64)
def _days_off(year: int) -> frozenset[dt.date]:
    """Every non-working day of `year` on the production calendar (weekends included)."""
    calendar = holidays.country_holidays("RU", years=year)
    day = dt.date(year, 1, 1)
    off: set[dt.date] = set()
    while day.year == year:
        if not calendar.is_working_day(day):
            off.add(day)
        day += dt.timedelta(days=1)
    return frozenset(off)


def production_is_working_day(day: dt.date) -> bool:
    """The production calendar's answer, without any deployment or organisation exception."""
    return day not in _days_off(day.year)


def _shortened_span(day: dt.date) -> bool:
    probe = day + dt.timedelta(days=1)
    for _ in range(_PREHOLIDAY_LOOKAHEAD):
        if is_statutory_holiday(probe):
            return True
        if production_is_working_day(probe):
            return False
        probe += dt.timedelta(days=1)
    return False


def _shortened_adjacent(day: dt.date) -> bool:
    if is_statutory_holiday(day + dt.timedelta(days=1)):
        return True
    if day.weekday() < 5:
        return False
    # A working Saturday (or Sunday) stands in for the Monday after it.
    monday = day + dt.timedelta(days=7 - day.weekday())
    return is_statutory_holiday(monday) or is_statutory_holiday(monday + dt.timedelta(days=1))


@lru_cache(maxsize=128)
def _shortened_days(year: int, rule: str) -> frozenset[dt.date]:
    """Working days of `year` that are one hour shorter (art. 95) under `rule`.

    The look-ahead crosses into the next year (e.g. 2024-12-28 before 2025-01-01).
    """
    if rule == PREHOLIDAY_SPAN:
        test = _shortened_span
    elif rule == PREHOLIDAY_ADJACENT:
        test = _shortened_adjacent
    else:
        raise ValueError(f"unknown pre-holiday rule: {rule!r}")
    result: set[dt.date] = set()
    day = dt.date(year, 1, 1)
    while day.year == year:
        if production_is_working_day(day) and test(day):
            result.add(day)
        day += dt.timedelta(days=1)
    return frozenset(result)


def production_is_shortened(day: dt.date, rule: str = PREHOLIDAY_SPAN) -> bool:
    """True for a shortened pre-holiday working day on the production calendar."""
    return day in _shortened_days(day.year, rule)


@dataclass(frozen=True)
class DayOverride:
    """An exception to the production calendar for one date.

    `end`, when set on a working day, replaces that day's end of working time.
    """

    is_working: bool
    end: dt.time | None = None


@dataclass(frozen=True)
class WorkCalendar:
    """Working time of one organisation (or the deployment default) in one time zone.

    All methods take timezone-aware datetimes (naive ones are read in `tz`) and return
    timezone-aware datetimes in `tz`.
    """

    tz: ZoneInfo = DEFAULT_TZ
    work_start: dt.time = dt.time(9, 0)
    work_end: dt.time = dt.time(18, 0)
    shortened_by: dt.timedelta = dt.timedelta(hours=1)
    preholiday_rule: str = PREHOLIDAY_SPAN
    overrides: Mapping[dt.date, DayOverride] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if self.work_end <= self.work_start:
            raise ValueError("work_end must be later than work_start")
        if self.preholiday_rule not in (PREHOLIDAY_SPAN, PREHOLIDAY_ADJACENT):
            raise ValueError(f"unknown pre-holiday rule: {self.preholiday_rule!r}")

    # --- days -------------------------------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        override = self.overrides.get(day)
        if override is not None:
            return override.is_working
        return production_is_working_day(day)

    def _end_time(self, day: dt.date) -> dt.time:
        """End of working time on a working day, as a local wall-clock time."""
        override = self.overrides.get(day)
        if override is not None and override.end is not None:
            return override.end
        if production_is_shortened(day, self.preholiday_rule):
            shortened = dt.datetime.combine(day, self.work_end) - self.shortened_by
            return max(shortened.time(), self.work_start)
        return self.work_end

    def is_shortened(self, day: dt.date) -> bool:
        """A working day that ends earlier than usual (pre-holiday, or an override's end)."""
        return self.is_working_day(day) and self._end_time(day) < self.work_end

    def day_start(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.work_start, tzinfo=self.tz)

    def day_end(self, day: dt.date) -> dt.datetime:
        """End of working time of `day` (18:00, or 17:00 on a shortened day, by default)."""
        return dt.datetime.combine(day, self._end_time(day), tzinfo=self.tz)

    def next_working_day(self, day: dt.date, *, include_self: bool = False) -> dt.date:
        """The first working day after `day` (or `day` itself when include_self and it works)."""
        probe = day if include_self else day + dt.timedelta(days=1)
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(probe):
                return probe
            probe += dt.timedelta(days=1)
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days after {day}")

    # --- instants ---------------------------------------------------------------------------

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=self.tz)
        return moment.astimezone(self.tz)

    def next_working_minute(self, moment: dt.datetime) -> dt.datetime:
        """`moment` itself when it lies inside working time, else the start of the next one."""
        local = self._local(moment)
        day = local.date()
        if self.is_working_day(day):
            start, end = self.day_start(day), self.day_end(day)
            if local < start:
                return start
            if local < end:
                return local
        return self.day_start(self.next_working_day(day))

    def add_working_hours(self, moment: dt.datetime, hours: float) -> dt.datetime:
        """`hours` of working time after `moment`; a clock that runs out exactly at a day's
        end gives that day's end, not the next morning."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        remaining = dt.timedelta(hours=hours)
        current = self.next_working_minute(moment)
        while True:
            available = max(self.day_end(current.date()) - current, dt.timedelta(0))
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = self.day_start(self.next_working_day(current.date()))

    def add_working_days(self, moment: dt.datetime, n: int) -> dt.datetime:
        """End of the Nth working day after the day of `moment` (that day never counts).

        n == 0 gives the end of the arrival day, or of the next working day if it is a day off.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        day = self._local(moment).date()
        if n == 0:
            return self.day_end(self.next_working_day(day, include_self=True))
        for _ in range(n):
            day = self.next_working_day(day)
        return self.day_end(day)

    def add_calendar_days(self, moment: dt.datetime, n: int) -> dt.datetime:
        """End of the day `n` calendar days after the day of `moment`, moved to the next working
        day when it falls on a non-working one."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = self._local(moment).date() + dt.timedelta(days=n)
        return self.day_end(self.next_working_day(day, include_self=True))

    def add(self, unit: str, moment: dt.datetime, amount: float) -> dt.datetime:
        """Dispatch on a unit name: "working_hours", "working_days" or "calendar_days"."""
        if unit == "working_hours":
            return self.add_working_hours(moment, amount)
        if unit == "working_days":
            return self.add_working_days(moment, _whole(amount))
        if unit == "calendar_days":
            return self.add_calendar_days(moment, _whole(amount))
        raise ValueError(f"unknown unit: {unit!r}")

    def working_minutes_between(self, start: dt.datetime, end: dt.datetime) -> int:
        """Whole working minutes in [start, end); 0 when end is not after start."""
        a, b = self._local(start), self._local(end)
        if b <= a:
            return 0
        total = dt.timedelta(0)
        day = a.date()
        last = b.date()
        while day <= last:
            if self.is_working_day(day):
                lo = max(a, self.day_start(day))
                hi = min(b, self.day_end(day))
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return int(total.total_seconds() // 60)


def _whole(amount: float) -> int:
    if int(amount) != amount:
        raise ValueError(f"a number of days must be whole, got {amount!r}")
    return int(amount)
