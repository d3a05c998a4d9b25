"""Deadlines of the three legal regimes (PRODUCT.md, "Three legal regimes of deadlines").

The arithmetic lives in `tsur.lib.workcal`; this module reads the configuration (policies,
organisation hours, calendar exceptions) and applies the regime rules.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from tsur.core.refcache import Cached
from tsur.deadlines.models import DeadlinePolicy, Unit
from tsur.directory.models import (
    URGENCY_CODES,
    CalendarException,
    Organisation,
    Regime,
    Urgency,
    default_work_hours,
)
from tsur.lib.ru import plural_class
from tsur.lib.workcal import DayOverride, WorkCalendar

__all__ = [
    "DueDates",
    "calendar_for",
    "calendars_for",
    "compute_due",
    "default_policies",
    "effective_amount",
    "effective_unit",
    "policy_for_regime",
    "upsert_default_policies",
]


def calendar_for(organisation: Organisation | None = None) -> WorkCalendar:
    """The working calendar of `organisation` (or the deployment default).

    Hours: the organisation's own when set, else 9:00-18:00. Exceptions: the deployment-wide
    rows (no organisation) apply to everyone; the organisation's own rows take precedence.
    """
    if organisation is None or organisation.pk is None:
        common, _own = _exceptions([])
        return _calendar(organisation, common)
    return calendars_for([organisation])[organisation.pk]


def calendars_for(organisations: Iterable[Organisation]) -> dict[int | None, WorkCalendar]:
    """The calendars of several (saved) organisations by id, and the default under None, from one
    query of the exceptions: a page of appeals from ten organisations needs one, not ten."""
    by_id = {o.pk: o for o in organisations if o is not None and o.pk is not None}
    common, own = _exceptions(by_id)
    calendars: dict[int | None, WorkCalendar] = {None: _calendar(None, common)}
    for pk, organisation in by_id.items():
        calendars[pk] = _calendar(organisation, {**common, **own.get(pk, {})})
    return calendars


def _exceptions(organisation_ids: Iterable[int]) -> tuple[dict[dt.date, DayOverride], dict[int, dict[dt.date, DayOverride]]]:
    """The deployment-wide exceptions, and each of these organisations' own."""
    common, own = _all_exceptions.get()
    return common, {pk: own[pk] for pk in organisation_ids if pk in own}


def _load_exceptions() -> tuple[dict[dt.date, DayOverride], dict[int, dict[dt.date, DayOverride]]]:
    """Every calendar exception (a few per organisation and year), deployment-wide and own."""
    common: dict[dt.date, DayOverride] = {}
    own: dict[int, dict[dt.date, DayOverride]] = {}
    for row in CalendarException.objects.only("date", "is_working", "work_end", "organisation_id"):
        target = common if row.organisation_id is None else own.setdefault(row.organisation_id, {})
        target[row.date] = DayOverride(is_working=row.is_working, end=row.work_end)
    return common, own


_all_exceptions = Cached("calendar-exceptions", _load_exceptions, watch=[CalendarException])


def _calendar(organisation: Organisation | None, overrides: dict[dt.date, DayOverride]) -> WorkCalendar:
    start, end = default_work_hours()
    if organisation is not None:
        start = organisation.work_start or start
        end = organisation.work_end or end
    return WorkCalendar(tz=ZoneInfo(settings.TIME_ZONE), work_start=start, work_end=end, overrides=overrides)


@dataclass(frozen=True)
class DueDates:
    """Deadlines of one item. `registration_due` / `transfer_due` are set only by regimes that
    have them (59-FZ appeals)."""

    due: dt.datetime
    registration_due: dt.datetime | None
    transfer_due: dt.datetime | None
    explain: str
    unit: str = ""
    amount: int = 0


_REGIME_NAMES = {
    Regime.INCIDENT: "инцидент",
    Regime.MESSAGE: "сообщение",
    Regime.APPEAL: "обращение",
}
_URGENCY_NAMES = {Urgency.HIGH: "высокая", Urgency.NORMAL: "обычная"}

# (adjective forms, noun forms) for 1 / 2-4 / 5+ (Russian plural classes).
_UNIT_WORDS = {
    Unit.WORKING_HOURS: (("рабочий", "рабочих", "рабочих"), ("час", "часа", "часов")),
    Unit.WORKING_DAYS: (("рабочий", "рабочих", "рабочих"), ("день", "дня", "дней")),
    Unit.CALENDAR_DAYS: (("календарный", "календарных", "календарных"), ("день", "дня", "дней")),
}


def _quantity(unit: str, amount: int) -> str:
    adjectives, nouns = _UNIT_WORDS[Unit(unit)]
    k = plural_class(amount)
    return f"{amount} {adjectives[k]} {nouns[k]}"


def _fmt(moment: dt.datetime, tz: ZoneInfo, *, with_time: bool = True) -> str:
    local = moment.astimezone(tz)
    return local.strftime("%d.%m.%Y %H:%M" if with_time else "%d.%m.%Y")


def _check_urgency(urgency: str) -> None:
    if urgency not in URGENCY_CODES:
        raise ValueError(f"unknown urgency: {urgency!r}")


def effective_unit(policy: DeadlinePolicy, urgency: str) -> str:
    """The unit of the answer deadline for this urgency (`unit_high` for high, when set)."""
    _check_urgency(urgency)
    if urgency == Urgency.HIGH and policy.unit_high:
        return policy.unit_high
    return policy.unit


def effective_amount(policy: DeadlinePolicy, urgency: str) -> int:
    _check_urgency(urgency)
    return policy.amount_high if urgency == Urgency.HIGH else policy.amount_normal


def _clock_origin(unit: str, start: dt.datetime, calendar: WorkCalendar) -> str:
    """How the explanation names the moment a clock starts from."""
    if unit == Unit.WORKING_HOURS:
        return f"с {_fmt(calendar.next_working_minute(start), calendar.tz)}"
    return f"после {_fmt(start, calendar.tz, with_time=False)}"


def compute_due(
    policy: DeadlinePolicy,
    urgency: str,
    received: dt.datetime,
    calendar: WorkCalendar,
    *,
    interim_at: dt.datetime | None = None,
    extension_days: int = 0,
    registered_at: dt.datetime | None = None,
) -> DueDates:
    """Deadlines of an item received at `received` under `policy`.

    - the answer is due `amount` units after receipt (`amount_high` / `unit_high` when urgent),
      or after `registered_at` when given (59-FZ counts the 30 days from registration);
    - an interim answer, in a regime with an interim clock (incident), replaces that deadline
      with `interim_at` + the interim clock; elsewhere it changes nothing;
    - registration / transfer deadlines count calendar days from receipt;
    - `extension_days` adds calendar days to the final deadline (moved off non-working days).
    """
    if extension_days < 0:
        raise ValueError("extension_days must not be negative")
    unit = effective_unit(policy, urgency)
    amount = effective_amount(policy, urgency)
    context = f"{_REGIME_NAMES.get(policy.regime, policy.regime)}, срочность {_URGENCY_NAMES[urgency]}"

    if interim_at is not None and policy.interim_unit and policy.interim_amount:
        unit, amount = policy.interim_unit, policy.interim_amount
        due = calendar.add(unit, interim_at, amount)
        origin = f"после промежуточного ответа {_fmt(interim_at, calendar.tz)}"
        explain = f"{_quantity(unit, amount)} {origin} ({context})"
    else:
        start = registered_at if registered_at is not None else received
        due = calendar.add(unit, start, amount)
        origin = _clock_origin(unit, start, calendar)
        if registered_at is not None:
            origin = f"{origin} (регистрация)"
        explain = f"{_quantity(unit, amount)} {origin} ({context})"

    if extension_days:
        due = calendar.add_calendar_days(due, extension_days)
        explain += f"; продлено на {_quantity(Unit.CALENDAR_DAYS, extension_days)}"

    registration_due = calendar.add_calendar_days(received, policy.registration_days) if policy.registration_days else None
    transfer_due = calendar.add_calendar_days(received, policy.transfer_days) if policy.transfer_days else None
    return DueDates(
        due=due,
        registration_due=registration_due,
        transfer_due=transfer_due,
        explain=explain,
        unit=unit,
        amount=amount,
    )


def default_policies() -> list[dict[str, Any]]:
    """The PRODUCT.md defaults, as DeadlinePolicy field values (one dict per regime)."""
    return [
        {
            "regime": Regime.INCIDENT.value,
            "name": "Инцидент Менеджмент (публикации в соцсетях)",
            "unit": Unit.WORKING_HOURS.value,
            "unit_high": "",
            "amount_normal": 8,
            "amount_high": 4,
            "interim_unit": Unit.WORKING_DAYS.value,
            "interim_amount": 7,
            "registration_days": None,
            "transfer_days": None,
            "extension_max_days": 0,
            "extension_max_count": 0,
        },
        {
            "regime": Regime.MESSAGE.value,
            "name": "Сообщение (платформа обратной связи)",
            "unit": Unit.CALENDAR_DAYS.value,
            "unit_high": Unit.WORKING_DAYS.value,
            "amount_normal": 30,
            "amount_high": 10,
            "interim_unit": "",
            "interim_amount": None,
            "registration_days": None,
            "transfer_days": None,
            "extension_max_days": 30,
            "extension_max_count": 1,
        },
        {
            "regime": Regime.APPEAL.value,
            "name": "Обращение (59-ФЗ)",
            "unit": Unit.CALENDAR_DAYS.value,
            "unit_high": "",
            "amount_normal": 30,
            "amount_high": 30,
            "interim_unit": "",
            "interim_amount": None,
            "registration_days": 3,
            "transfer_days": 7,
            "extension_max_days": 30,
            "extension_max_count": 1,
        },
    ]


def policy_for_regime(regime: str) -> tuple[DeadlinePolicy, bool]:
    """The configured policy of `regime`, or an unsaved one built from the defaults.

    Returns (policy, from_db).
    """
    policy = _stored_policies.get().get(regime)
    if policy is not None:
        return policy, True
    for values in default_policies():
        if values["regime"] == regime:
            return DeadlinePolicy(**values), False
    raise ValueError(f"unknown regime: {regime!r}")


def _load_policies() -> dict[str, DeadlinePolicy]:
    """The stored policies by regime (the regime is unique)."""
    return {policy.regime: policy for policy in DeadlinePolicy.objects.all()}


_stored_policies = Cached("deadline-policies", _load_policies, watch=[DeadlinePolicy])


def upsert_default_policies() -> int:
    """Create the default policies, or reset existing ones to the defaults.

    Returns how many rows were created or changed.
    """
    touched = 0
    for values in default_policies():
        fields = {key: value for key, value in values.items() if key != "regime"}
        policy = DeadlinePolicy.objects.filter(regime=values["regime"]).first()
        if policy is None:
            DeadlinePolicy.objects.create(**values)
            touched += 1
            continue
        changed = [key for key, value in fields.items() if getattr(policy, key) != value]
        if changed:
            for key in changed:
                setattr(policy, key, fields[key])
            policy.save(update_fields=changed)
            touched += 1
    return touched
