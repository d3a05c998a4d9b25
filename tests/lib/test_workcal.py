"""WorkCalendar on the real Russian production calendar (2024-2026).

Every expected value is derived by hand from the production calendar (`holidays` RU):
2025: Jan 1-8, May 1-4 and 8-11, Jun 12-15, Nov 2-4, Dec 31 off; Sat Nov 1 working.
2026: Jan 1-11, Feb 23, Mar 9, May 1-3 and 9-11, Jun 12-14, Nov 4, Dec 31 off.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest

from tsur.lib.workcal import (
    PREHOLIDAY_ADJACENT,
    DayOverride,
    WorkCalendar,
    is_statutory_holiday,
    production_is_shortened,
    production_is_working_day,
)

MSK = ZoneInfo("Europe/Moscow")
CAL = WorkCalendar()
OFFICIAL = WorkCalendar(preholiday_rule=PREHOLIDAY_ADJACENT)


def msk(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=MSK)


def D(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d)


# --- the production calendar -------------------------------------------------------------------


def test_it_agrees_with_holidays_on_the_days_off_it_relies_on() -> None:
    ru = holidays.country_holidays("RU", years=[2025, 2026])
    assert not ru.is_working_day(D(2025, 12, 31))
    assert not ru.is_working_day(D(2026, 1, 9))
    assert ru.is_working_day(D(2025, 11, 1))


def test_it_knows_the_new_year_holidays_2025_2026() -> None:
    assert CAL.is_working_day(D(2025, 12, 30))
    # 31.12.2025 is a day off moved from Sunday 5.01.2025.
    assert not CAL.is_working_day(D(2025, 12, 31))
    assert all(not CAL.is_working_day(D(2026, 1, day)) for day in range(1, 12))
    # 9.01.2026 is a day off moved from Saturday 3.01.2026.
    assert not CAL.is_working_day(D(2026, 1, 9))
    assert CAL.is_working_day(D(2026, 1, 12))


def test_it_knows_the_may_holidays_2025() -> None:
    off = [D(2025, 5, day) for day in (1, 2, 3, 4, 8, 9, 10, 11)]
    working = [D(2025, 5, day) for day in (5, 6, 7, 12)]
    assert not any(CAL.is_working_day(day) for day in off)
    assert all(CAL.is_working_day(day) for day in working)


def test_it_knows_the_may_holidays_2026() -> None:
    off = [D(2026, 5, day) for day in (1, 2, 3, 9, 10, 11)]
    working = [D(2026, 5, day) for day in (4, 5, 6, 7, 8, 12)]
    assert not any(CAL.is_working_day(day) for day in off)
    assert all(CAL.is_working_day(day) for day in working)


def test_it_counts_saturday_1_november_2025_as_working_and_the_3rd_and_4th_as_off() -> None:
    assert D(2025, 11, 1).weekday() == 5
    assert CAL.is_working_day(D(2025, 11, 1))
    assert not CAL.is_working_day(D(2025, 11, 2))
    assert not CAL.is_working_day(D(2025, 11, 3))
    assert not CAL.is_working_day(D(2025, 11, 4))
    assert CAL.is_working_day(D(2025, 11, 5))


def test_it_lists_the_art_112_holidays() -> None:
    assert is_statutory_holiday(D(2026, 1, 8))
    assert is_statutory_holiday(D(2025, 3, 8))
    assert is_statutory_holiday(D(2025, 11, 4))
    assert not is_statutory_holiday(D(2026, 1, 9))
    assert not is_statutory_holiday(D(2025, 12, 31))
    assert not is_statutory_holiday(D(2025, 5, 8))


@pytest.mark.parametrize(
    "day",
    [
        D(2024, 12, 28),  # working Saturday; Sun 29, Mon 30, Tue 31 off, then 1 January
        D(2025, 3, 7),  # before Saturday 8 March
        D(2025, 4, 30),
        D(2025, 6, 11),
        D(2025, 11, 1),  # working Saturday; Sun 2, Mon 3 off, then 4 November
        D(2026, 4, 30),
        D(2026, 5, 8),  # before Saturday 9 May
        D(2026, 11, 3),
    ],
)
def test_it_shortens_pre_holiday_days(day: dt.date) -> None:
    assert CAL.is_shortened(day)
    assert CAL.day_end(day) == dt.datetime.combine(day, dt.time(17), tzinfo=MSK)


@pytest.mark.parametrize(
    "day",
    [
        D(2025, 3, 6),  # an ordinary Thursday
        D(2025, 5, 8),  # a day off (moved from 23 February), so not a short working day
        D(2025, 12, 31),  # a day off
        D(2025, 3, 10),
    ],
)
def test_it_does_not_shorten_other_days(day: dt.date) -> None:
    assert not CAL.is_shortened(day)


def test_it_ends_an_ordinary_day_at_18() -> None:
    assert CAL.day_end(D(2025, 3, 6)) == msk(2025, 3, 6, 18)


def test_it_shortens_by_the_span_rule_the_last_working_day_before_days_off_and_a_holiday() -> None:
    # PRODUCT.md's rule: only days off between the working day and the holiday.
    assert production_is_shortened(D(2025, 12, 30))  # Wed 31.12 off, then 1.01
    assert production_is_shortened(D(2025, 5, 7))  # Thu 8.05 off, then 9.05


def test_it_follows_the_published_calendar_with_the_adjacent_rule() -> None:
    """The official lists: 2024 — 22.02, 7.03, 8.05, 11.06, 2.11; 2025 — 7.03, 30.04, 11.06, 1.11;
    2026 — 30.04, 8.05, 11.06, 3.11."""

    def shortened(year: int) -> list[dt.date]:
        day, found = D(year, 1, 1), []
        while day.year == year:
            if OFFICIAL.is_shortened(day):
                found.append(day)
            day += dt.timedelta(days=1)
        return found

    assert shortened(2024) == [D(2024, 2, 22), D(2024, 3, 7), D(2024, 5, 8), D(2024, 6, 11), D(2024, 11, 2)]
    assert shortened(2025) == [D(2025, 3, 7), D(2025, 4, 30), D(2025, 6, 11), D(2025, 11, 1)]
    assert shortened(2026) == [D(2026, 4, 30), D(2026, 5, 8), D(2026, 6, 11), D(2026, 11, 3)]
    assert OFFICIAL.day_end(D(2025, 12, 30)) == msk(2025, 12, 30, 18)


def test_it_rejects_an_unknown_preholiday_rule() -> None:
    with pytest.raises(ValueError):
        WorkCalendar(preholiday_rule="whatever")


def test_it_keeps_the_raw_production_calendar_free_of_overrides() -> None:
    cal = WorkCalendar(overrides={D(2025, 3, 10): DayOverride(is_working=False)})
    assert not cal.is_working_day(D(2025, 3, 10))
    assert production_is_working_day(D(2025, 3, 10))


# --- next working minute -----------------------------------------------------------------------


def test_it_keeps_a_moment_inside_working_time() -> None:
    assert CAL.next_working_minute(msk(2025, 3, 11, 10, 15)) == msk(2025, 3, 11, 10, 15)


def test_it_moves_an_early_arrival_to_9() -> None:
    assert CAL.next_working_minute(msk(2025, 3, 11, 7, 30)) == msk(2025, 3, 11, 9)


def test_it_moves_an_arrival_at_the_end_of_the_day_to_the_next_morning() -> None:
    assert CAL.next_working_minute(msk(2025, 3, 11, 18)) == msk(2025, 3, 12, 9)


def test_it_treats_1759_on_the_shortened_7_march_2025_as_after_hours() -> None:
    assert CAL.next_working_minute(msk(2025, 3, 7, 17, 59)) == msk(2025, 3, 10, 9)


def test_it_converts_other_time_zones_and_reads_naive_times_in_moscow() -> None:
    utc = dt.datetime(2025, 3, 11, 6, 0, tzinfo=dt.UTC)  # 09:00 in Moscow
    assert CAL.next_working_minute(utc) == msk(2025, 3, 11, 9)
    assert CAL.next_working_minute(utc).utcoffset() == dt.timedelta(hours=3)
    assert CAL.next_working_minute(dt.datetime(2025, 3, 11, 8)) == msk(2025, 3, 11, 9)


# --- working hours -----------------------------------------------------------------------------


def test_it_gives_8_working_hours_from_1759_on_a_shortened_friday_as_monday_17() -> None:
    assert CAL.add_working_hours(msk(2025, 3, 7, 17, 59), 8) == msk(2025, 3, 10, 17)


def test_it_rolls_an_incident_from_friday_16_over_the_weekend() -> None:
    # Fri 14.03.2025 (an ordinary day): 2 h until 18:00, 6 h on Monday 17.03.
    assert CAL.add_working_hours(msk(2025, 3, 14, 16), 8) == msk(2025, 3, 17, 15)


def test_it_starts_an_arrival_before_9_at_9() -> None:
    assert CAL.add_working_hours(msk(2025, 3, 11, 7, 30), 8) == msk(2025, 3, 11, 17)


def test_it_counts_4_hours_for_high_urgency_into_the_next_morning() -> None:
    assert CAL.add_working_hours(msk(2025, 3, 11, 15), 4) == msk(2025, 3, 12, 10)


def test_it_ends_at_the_day_end_when_the_hours_run_out_exactly_there() -> None:
    assert CAL.add_working_hours(msk(2025, 3, 11, 10), 8) == msk(2025, 3, 11, 18)
    assert CAL.add_working_hours(msk(2025, 3, 11, 9), 9) == msk(2025, 3, 11, 18)
    # A shortened day holds exactly 8 hours.
    assert CAL.add_working_hours(msk(2025, 3, 7, 9), 8) == msk(2025, 3, 7, 17)


def test_it_counts_fractional_hours() -> None:
    assert CAL.add_working_hours(msk(2025, 3, 11, 17), 1.5) == msk(2025, 3, 12, 9, 30)


def test_it_counts_the_working_saturday_1_november_2025() -> None:
    # Fri 31.10: 3 h (15-18); Sat 1.11 is working: 5 h -> 14:00.
    assert CAL.add_working_hours(msk(2025, 10, 31, 15), 8) == msk(2025, 11, 1, 14)


def test_it_skips_3_and_4_november_2025_after_the_short_saturday() -> None:
    # Sat 1.11 ends at 17:00: 3 h; Sun 2, Mon 3, Tue 4 off; Wed 5.11 09:00 + 5 h.
    assert CAL.add_working_hours(msk(2025, 11, 1, 14), 8) == msk(2025, 11, 5, 14)


def test_it_skips_the_new_year_holidays_2026_in_hours() -> None:
    # Span rule: 30.12.2025 is shortened (ends 17:00): 1 h; then nothing until Mon 12.01.2026.
    assert CAL.add_working_hours(msk(2025, 12, 30, 16), 8) == msk(2026, 1, 12, 16)
    # Adjacent rule: 30.12.2025 is a full day: 2 h, then 6 h on 12.01.2026.
    assert OFFICIAL.add_working_hours(msk(2025, 12, 30, 16), 8) == msk(2026, 1, 12, 15)


def test_it_starts_an_arrival_on_a_holiday_at_the_next_working_morning() -> None:
    assert CAL.add_working_hours(msk(2026, 1, 3, 12), 4) == msk(2026, 1, 12, 13)


def test_it_rejects_negative_hours() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_hours(msk(2025, 3, 11, 10), -1)


# --- working days ------------------------------------------------------------------------------


def test_it_does_not_count_the_day_of_arrival_even_within_hours() -> None:
    assert CAL.add_working_days(msk(2025, 3, 11, 10), 1) == msk(2025, 3, 12, 18)


def test_it_gives_1_working_day_from_1759_on_7_march_2025_as_monday_18() -> None:
    assert CAL.add_working_days(msk(2025, 3, 7, 17, 59), 1) == msk(2025, 3, 10, 18)


def test_it_ends_a_working_day_deadline_at_17_on_a_shortened_day() -> None:
    assert CAL.add_working_days(msk(2025, 3, 6, 10), 1) == msk(2025, 3, 7, 17)


def test_it_counts_working_days_across_the_new_year_2026() -> None:
    # After Mon 29.12.2025: Tue 30.12 (1), 31.12-11.01 off, 12.01 (2), 13.01 (3).
    assert CAL.add_working_days(msk(2025, 12, 29, 12), 3) == msk(2026, 1, 13, 18)
    assert CAL.add_working_days(msk(2025, 12, 30, 10), 1) == msk(2026, 1, 12, 18)


def test_it_counts_10_working_days_over_the_may_holidays_2025() -> None:
    # After Wed 30.04: 5, 6, 7 May (3); 8-11 off; 12-16 (8); 19, 20 (10).
    assert CAL.add_working_days(msk(2025, 4, 30, 10), 10) == msk(2025, 5, 20, 18)


def test_it_counts_working_days_over_the_may_holidays_2026() -> None:
    # After Thu 30.04: 1-3 May off; 4-8 May (5, the 8th is shortened); 9-11 off; 12-15 (9); 18 (10).
    assert CAL.add_working_days(msk(2026, 4, 30, 12), 5) == msk(2026, 5, 8, 17)
    assert CAL.add_working_days(msk(2026, 4, 30, 12), 10) == msk(2026, 5, 18, 18)


def test_it_counts_days_after_an_arrival_on_a_day_off() -> None:
    # Arrival Saturday 8.03.2025: the first working day after it is Monday 10.03.
    assert CAL.add_working_days(msk(2025, 3, 8, 12), 1) == msk(2025, 3, 10, 18)


def test_it_gives_zero_working_days_as_the_end_of_the_arrival_day() -> None:
    assert CAL.add_working_days(msk(2025, 3, 11, 10), 0) == msk(2025, 3, 11, 18)
    assert CAL.add_working_days(msk(2025, 3, 8, 10), 0) == msk(2025, 3, 10, 18)


# --- calendar days -----------------------------------------------------------------------------


def test_it_counts_30_calendar_days_from_30_december_2025() -> None:
    assert CAL.add_calendar_days(msk(2025, 12, 30, 10), 30) == msk(2026, 1, 29, 18)


def test_it_moves_a_calendar_deadline_off_the_new_year_holidays() -> None:
    # 30.12.2025 + 3 = 2.01.2026 (holiday) -> Mon 12.01.2026.
    assert CAL.add_calendar_days(msk(2025, 12, 30, 10), 3) == msk(2026, 1, 12, 18)
    # 30.12.2025 + 1 = 31.12.2025, a day off -> 12.01.2026.
    assert CAL.add_calendar_days(msk(2025, 12, 30, 10), 1) == msk(2026, 1, 12, 18)


def test_it_moves_30_calendar_days_landing_on_saturday_to_monday_18() -> None:
    # Thu 13.03.2025 + 30 = Sat 12.04.2025 -> Mon 14.04.2025.
    assert CAL.add_calendar_days(msk(2025, 3, 13, 10), 30) == msk(2025, 4, 14, 18)


def test_it_keeps_a_calendar_deadline_on_the_working_saturday_ending_at_17() -> None:
    # 2.10.2025 + 30 = Sat 1.11.2025, a shortened working day.
    assert CAL.add_calendar_days(msk(2025, 10, 2, 10), 30) == msk(2025, 11, 1, 17)


def test_it_moves_a_calendar_deadline_off_unity_day() -> None:
    # Sun 5.10.2025 + 30 = Tue 4.11.2025 (holiday) -> Wed 5.11.2025.
    assert CAL.add_calendar_days(msk(2025, 10, 5, 10), 30) == msk(2025, 11, 5, 18)


def test_it_counts_calendar_days_from_the_moscow_date() -> None:
    # 21:30 UTC on 12.03 is 00:30 on 13.03 in Moscow: +30 = Sat 12.04 -> Mon 14.04.
    late = dt.datetime(2025, 3, 12, 21, 30, tzinfo=dt.UTC)
    assert CAL.add_calendar_days(late, 30) == msk(2025, 4, 14, 18)
    assert CAL.add_calendar_days(msk(2025, 3, 12, 23, 30), 30) == msk(2025, 4, 11, 18)


def test_it_moves_an_extension_landing_in_the_may_holidays_2025() -> None:
    # Fri 11.04.2025 18:00 + 30 = Sun 11.05.2025 -> Mon 12.05.2025.
    assert CAL.add_calendar_days(msk(2025, 4, 11, 18), 30) == msk(2025, 5, 12, 18)


# --- dispatch and elapsed time -----------------------------------------------------------------


def test_it_dispatches_on_the_unit_name() -> None:
    t = msk(2025, 3, 7, 17, 59)
    assert CAL.add("working_hours", t, 8) == msk(2025, 3, 10, 17)
    assert CAL.add("working_days", t, 1) == msk(2025, 3, 10, 18)
    assert CAL.add("calendar_days", t, 1) == msk(2025, 3, 10, 18)
    with pytest.raises(ValueError):
        CAL.add("fortnights", t, 1)
    with pytest.raises(ValueError):
        CAL.add("working_days", t, 1.5)


def test_it_counts_working_minutes_between_two_moments() -> None:
    # Fri 7.03.2025 16-17 (shortened) + Mon 10.03 9-10.
    assert CAL.working_minutes_between(msk(2025, 3, 7, 16), msk(2025, 3, 10, 10)) == 120
    # A full week in March 2025: 5 x 9 h.
    assert CAL.working_minutes_between(msk(2025, 3, 10), msk(2025, 3, 17)) == 5 * 540
    assert CAL.working_minutes_between(msk(2025, 3, 10, 12), msk(2025, 3, 10, 11)) == 0
    # 31.12.2025-11.01.2026: nothing.
    assert CAL.working_minutes_between(msk(2025, 12, 31), msk(2026, 1, 12)) == 0


@pytest.mark.parametrize(
    "start",
    [msk(2025, 3, 7, 16, 30), msk(2025, 10, 31, 12), msk(2025, 12, 29, 8), msk(2026, 4, 30, 13, 45)],
)
@pytest.mark.parametrize("hours", [1, 4, 8, 20])
def test_it_agrees_with_itself_between_hours_added_and_minutes_elapsed(start: dt.datetime, hours: int) -> None:
    due = CAL.add_working_hours(start, hours)
    assert CAL.working_minutes_between(start, due) == hours * 60


# --- organisation hours and overrides ----------------------------------------------------------


def test_it_uses_organisation_hours_8_to_17_with_a_day_off_override() -> None:
    cal = WorkCalendar(
        work_start=dt.time(8),
        work_end=dt.time(17),
        overrides={D(2025, 3, 11): DayOverride(is_working=False)},
    )
    # Mon 10.03: 1 h (16-17); Tue 11.03 off; Wed 12.03 08:00 + 7 h.
    assert cal.add_working_hours(msk(2025, 3, 10, 16), 8) == msk(2025, 3, 12, 15)
    assert cal.add_working_days(msk(2025, 3, 10, 16), 1) == msk(2025, 3, 12, 17)
    # Its shortened day ends an hour early too.
    assert cal.day_end(D(2025, 3, 7)) == msk(2025, 3, 7, 16)


def test_it_applies_a_working_override_with_its_own_end() -> None:
    cal = WorkCalendar(overrides={D(2025, 3, 9): DayOverride(is_working=True, end=dt.time(13))})
    assert cal.is_working_day(D(2025, 3, 9))
    assert cal.is_shortened(D(2025, 3, 9))
    assert cal.day_end(D(2025, 3, 9)) == msk(2025, 3, 9, 13)
    # From Fri 7.03 16:00: 1 h (shortened day), Sun 9.03 9-13 (4 h), Mon 10.03 3 h.
    assert cal.add_working_hours(msk(2025, 3, 7, 16), 8) == msk(2025, 3, 10, 12)


def test_it_lets_an_override_restore_a_full_pre_holiday_day() -> None:
    cal = WorkCalendar(overrides={D(2025, 12, 30): DayOverride(is_working=True, end=dt.time(18))})
    assert not cal.is_shortened(D(2025, 12, 30))
    assert cal.day_end(D(2025, 12, 30)) == msk(2025, 12, 30, 18)


def test_it_rejects_an_end_before_the_start() -> None:
    with pytest.raises(ValueError):
        WorkCalendar(work_start=dt.time(18), work_end=dt.time(9))
