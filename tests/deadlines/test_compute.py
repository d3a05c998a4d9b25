"""The regime rules of PRODUCT.md on the real 2025-2026 production calendar."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tsur.deadlines.compute import (
    calendar_for,
    compute_due,
    default_policies,
    policy_for_regime,
    upsert_default_policies,
)
from tsur.deadlines.models import DeadlinePolicy
from tsur.directory.models import CalendarException, Organisation
from tsur.lib.workcal import DayOverride, WorkCalendar

MSK = ZoneInfo("Europe/Moscow")
CAL = WorkCalendar()


def msk(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=MSK)


def default(regime: str) -> DeadlinePolicy:
    """An unsaved policy with the shipped defaults (no database needed)."""
    (values,) = [values for values in default_policies() if values["regime"] == regime]
    return DeadlinePolicy(**values)


# --- defaults ----------------------------------------------------------------------------------


def test_it_ships_the_three_regimes_of_product_md() -> None:
    policies = {values["regime"]: values for values in default_policies()}
    assert set(policies) == {"incident", "message", "appeal"}

    incident = policies["incident"]
    assert (incident["unit"], incident["amount_normal"], incident["amount_high"]) == ("working_hours", 8, 4)
    assert (incident["interim_unit"], incident["interim_amount"]) == ("working_days", 7)
    assert incident["extension_max_days"] == 0

    message = policies["message"]
    assert (message["unit"], message["amount_normal"]) == ("calendar_days", 30)
    assert (message["unit_high"], message["amount_high"]) == ("working_days", 10)

    appeal = policies["appeal"]
    assert (appeal["unit"], appeal["amount_normal"], appeal["amount_high"]) == ("calendar_days", 30, 30)
    assert (appeal["registration_days"], appeal["transfer_days"]) == (3, 7)
    assert (appeal["extension_max_days"], appeal["extension_max_count"]) == (30, 1)


# --- incident ----------------------------------------------------------------------------------


def test_it_gives_an_incident_8_working_hours_after_a_short_friday_evening() -> None:
    dates = compute_due(default("incident"), "normal", msk(2025, 3, 7, 17, 59), CAL)
    assert dates.due == msk(2025, 3, 10, 17)
    assert dates.registration_due is None
    assert dates.transfer_due is None
    assert (dates.unit, dates.amount) == ("working_hours", 8)
    assert dates.explain == "8 рабочих часов с 10.03.2025 09:00 (инцидент, срочность обычная)"


def test_it_gives_an_urgent_incident_4_working_hours_over_the_weekend() -> None:
    dates = compute_due(default("incident"), "high", msk(2025, 3, 14, 16), CAL)
    # Fri 14.03: 2 h; Mon 17.03: 2 h.
    assert dates.due == msk(2025, 3, 17, 11)
    assert dates.explain == "4 рабочих часа с 14.03.2025 16:00 (инцидент, срочность высокая)"


def test_it_opens_7_working_days_after_an_interim_answer_to_an_incident() -> None:
    dates = compute_due(default("incident"), "normal", msk(2025, 3, 11, 10), CAL, interim_at=msk(2025, 3, 11, 12))
    # After Tue 11.03: 12, 13, 14, 17, 18, 19, 20 March.
    assert dates.due == msk(2025, 3, 20, 18)
    assert (dates.unit, dates.amount) == ("working_days", 7)
    assert dates.explain == "7 рабочих дней после промежуточного ответа 11.03.2025 12:00 (инцидент, срочность обычная)"


def test_it_counts_the_interim_clock_across_the_new_year_2026() -> None:
    dates = compute_due(default("incident"), "high", msk(2025, 12, 25, 9), CAL, interim_at=msk(2025, 12, 25, 11))
    # After Thu 25.12: 26, 29, 30 December; 31.12-11.01 off; 12, 13, 14, 15 January.
    assert dates.due == msk(2026, 1, 15, 18)


# --- message -----------------------------------------------------------------------------------


def test_it_gives_a_message_30_calendar_days_from_30_december_2025() -> None:
    dates = compute_due(default("message"), "normal", msk(2025, 12, 30, 10), CAL)
    assert dates.due == msk(2026, 1, 29, 18)
    assert (dates.unit, dates.amount) == ("calendar_days", 30)
    assert dates.registration_due is None
    assert dates.explain == "30 календарных дней после 30.12.2025 (сообщение, срочность обычная)"


def test_it_gives_an_urgent_message_10_working_days_over_the_new_year() -> None:
    dates = compute_due(default("message"), "high", msk(2025, 12, 30, 10), CAL)
    # 31.12-11.01 off; 12-16 January (5), 19-23 January (10).
    assert dates.due == msk(2026, 1, 23, 18)
    assert (dates.unit, dates.amount) == ("working_days", 10)
    assert dates.explain == "10 рабочих дней после 30.12.2025 (сообщение, срочность высокая)"


def test_it_counts_an_urgent_message_over_the_may_holidays_2025() -> None:
    dates = compute_due(default("message"), "high", msk(2025, 4, 30, 17, 30), CAL)
    # 5-7 May (3), 8-11 off, 12-16 (8), 19-20 (10).
    assert dates.due == msk(2025, 5, 20, 18)


def test_it_does_not_move_a_message_deadline_for_an_interim_answer() -> None:
    received = msk(2025, 3, 11, 10)
    plain = compute_due(default("message"), "normal", received, CAL)
    with_interim = compute_due(default("message"), "normal", received, CAL, interim_at=msk(2025, 3, 20, 10))
    assert with_interim.due == plain.due == msk(2025, 4, 10, 18)


def test_it_extends_an_urgent_message_by_calendar_days() -> None:
    dates = compute_due(default("message"), "high", msk(2025, 12, 30, 10), CAL, extension_days=10)
    # 23.01.2026 + 10 = Mon 2.02.2026.
    assert dates.due == msk(2026, 2, 2, 18)


# --- appeal (59-FZ) ----------------------------------------------------------------------------


def test_it_moves_an_appeal_due_on_saturday_to_monday_18() -> None:
    dates = compute_due(default("appeal"), "normal", msk(2025, 3, 13, 10), CAL)
    # Thu 13.03 + 30 = Sat 12.04 -> Mon 14.04.
    assert dates.due == msk(2025, 4, 14, 18)
    # + 3 = Sun 16.03 -> Mon 17.03; + 7 = Thu 20.03.
    assert dates.registration_due == msk(2025, 3, 17, 18)
    assert dates.transfer_due == msk(2025, 3, 20, 18)
    assert dates.explain == "30 календарных дней после 13.03.2025 (обращение, срочность обычная)"


def test_it_gives_an_urgent_appeal_the_same_30_days() -> None:
    dates = compute_due(default("appeal"), "high", msk(2025, 3, 13, 10), CAL)
    assert dates.due == msk(2025, 4, 14, 18)


def test_it_extends_an_appeal_by_30_days() -> None:
    dates = compute_due(default("appeal"), "normal", msk(2025, 3, 13, 10), CAL, extension_days=30)
    # Mon 14.04 + 30 = Wed 14.05.2025.
    assert dates.due == msk(2025, 5, 14, 18)
    assert dates.explain.endswith("; продлено на 30 календарных дней")
    # The extension does not touch registration and transfer.
    assert dates.registration_due == msk(2025, 3, 17, 18)


def test_it_moves_an_extension_out_of_the_may_holidays() -> None:
    # Wed 12.03 + 30 = Fri 11.04; + 30 = Sun 11.05.2025 (off since 8.05) -> Mon 12.05.
    dates = compute_due(default("appeal"), "normal", msk(2025, 3, 12, 10), CAL, extension_days=30)
    assert dates.due == msk(2025, 5, 12, 18)


def test_it_sets_appeal_sub_deadlines_over_the_new_year_2026() -> None:
    dates = compute_due(default("appeal"), "normal", msk(2025, 12, 30, 10), CAL)
    assert dates.due == msk(2026, 1, 29, 18)
    # 2.01.2026 and 6.01.2026 are holidays -> Mon 12.01.2026.
    assert dates.registration_due == msk(2026, 1, 12, 18)
    assert dates.transfer_due == msk(2026, 1, 12, 18)


def test_it_counts_an_appeal_from_registration_when_given() -> None:
    dates = compute_due(default("appeal"), "normal", msk(2025, 3, 13, 10), CAL, registered_at=msk(2025, 3, 17, 10))
    # Mon 17.03 + 30 = Wed 16.04.
    assert dates.due == msk(2025, 4, 16, 18)
    assert dates.registration_due == msk(2025, 3, 17, 18)


def test_it_lands_an_appeal_on_the_short_working_saturday() -> None:
    dates = compute_due(default("appeal"), "normal", msk(2025, 10, 2, 10), CAL)
    assert dates.due == msk(2025, 11, 1, 17)


# --- wording and validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "amount", "words"),
    [
        ("working_hours", 1, "1 рабочий час"),
        ("working_hours", 2, "2 рабочих часа"),
        ("working_hours", 12, "12 рабочих часов"),
        ("working_days", 21, "21 рабочий день"),
        ("working_days", 22, "22 рабочих дня"),
        ("working_days", 11, "11 рабочих дней"),
        ("calendar_days", 1, "1 календарный день"),
        ("calendar_days", 3, "3 календарных дня"),
    ],
)
def test_it_words_the_quantity_in_russian(unit: str, amount: int, words: str) -> None:
    policy = DeadlinePolicy(regime="incident", name="x", unit=unit, amount_normal=amount, amount_high=amount)
    assert compute_due(policy, "normal", msk(2025, 3, 11, 10), CAL).explain.startswith(words + " ")


def test_it_rejects_an_unknown_urgency() -> None:
    with pytest.raises(ValueError):
        compute_due(default("incident"), "urgent", msk(2025, 3, 11, 10), CAL)


def test_it_rejects_a_negative_extension() -> None:
    with pytest.raises(ValueError):
        compute_due(default("appeal"), "normal", msk(2025, 3, 11, 10), CAL, extension_days=-1)


# --- configuration from the database -----------------------------------------------------------


@pytest.mark.django_db
def test_it_builds_the_default_calendar() -> None:
    cal = calendar_for()
    assert cal.tz == ZoneInfo("Europe/Moscow")
    assert (cal.work_start, cal.work_end) == (dt.time(9), dt.time(18))
    assert dict(cal.overrides) == {}


@pytest.mark.django_db
def test_it_builds_an_organisation_calendar_with_its_own_exceptions_first() -> None:
    org = Organisation.objects.create(
        code="gkh", name="Жилинспекция", short_name="ГЖИ", kind="regional", work_start=dt.time(8), work_end=dt.time(17)
    )
    other = Organisation.objects.create(code="other", name="Другая", short_name="Другая", kind="regional")
    CalendarException.objects.create(organisation=None, date=dt.date(2025, 3, 12), is_working=False, note="региональный")
    CalendarException.objects.create(organisation=None, date=dt.date(2025, 3, 13), is_working=False)
    CalendarException.objects.create(organisation=org, date=dt.date(2025, 3, 11), is_working=False)
    CalendarException.objects.create(organisation=org, date=dt.date(2025, 3, 13), is_working=True, work_end=dt.time(15))

    cal = calendar_for(org)
    assert (cal.work_start, cal.work_end) == (dt.time(8), dt.time(17))
    assert dict(cal.overrides) == {
        dt.date(2025, 3, 11): DayOverride(is_working=False),
        dt.date(2025, 3, 12): DayOverride(is_working=False),
        dt.date(2025, 3, 13): DayOverride(is_working=True, end=dt.time(15)),
    }
    # Mon 10.03 16-17 (1 h); 11 and 12 off; Thu 13.03 08-15 (7 h).
    dates = compute_due(default("incident"), "normal", msk(2025, 3, 10, 16), cal)
    assert dates.due == msk(2025, 3, 13, 15)

    assert set(calendar_for(other).overrides) == {dt.date(2025, 3, 12), dt.date(2025, 3, 13)}
    assert (calendar_for(other).work_start, calendar_for(other).work_end) == (dt.time(9), dt.time(18))


@pytest.mark.django_db
def test_it_falls_back_to_the_default_hour_an_organisation_leaves_empty() -> None:
    org = Organisation.objects.create(code="late", name="Поздняя", short_name="Поздняя", kind="company", work_start=dt.time(10))
    cal = calendar_for(org)
    assert (cal.work_start, cal.work_end) == (dt.time(10), dt.time(18))


@pytest.mark.django_db
def test_it_upserts_the_default_policies() -> None:
    assert upsert_default_policies() == 3
    assert DeadlinePolicy.objects.count() == 3
    assert upsert_default_policies() == 0

    DeadlinePolicy.objects.filter(regime="incident").update(amount_normal=6)
    assert upsert_default_policies() == 1
    assert DeadlinePolicy.objects.get(regime="incident").amount_normal == 8
    assert DeadlinePolicy.objects.get(regime="message").unit_high == "working_days"


@pytest.mark.django_db
def test_it_prefers_the_configured_policy_to_the_defaults() -> None:
    policy, from_db = policy_for_regime("incident")
    assert not from_db and policy.pk is None and policy.amount_normal == 8

    upsert_default_policies()
    DeadlinePolicy.objects.filter(regime="incident").update(amount_normal=2)
    policy, from_db = policy_for_regime("incident")
    assert from_db and policy.amount_normal == 2
    assert compute_due(policy, "normal", msk(2025, 3, 11, 10), CAL).due == msk(2025, 3, 11, 12)

    with pytest.raises(ValueError):
        policy_for_regime("petition")
