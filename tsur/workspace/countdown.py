"""Time left to an appeal's deadline, counted in its regime's working time.

The incident regime counts working hours (8/4 of them), so its countdown is in working hours and
minutes and runs only while the organisation's working clock runs; the other regimes count days,
so theirs is in working days. All arithmetic is the deadlines' own calendar (`tsur.lib.workcal`
through `tsur.deadlines.compute.calendar_for`): the page never carries a calendar of its own. The
server tells it whether the clock runs now and until when, and the page only subtracts minutes
while it does (`static/workspace/queue.js`).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from tsur.appeals.models import Appeal
from tsur.deadlines.compute import calendar_for, calendars_for, effective_unit, policy_for_regime
from tsur.deadlines.models import DeadlinePolicy, Unit
from tsur.directory.models import Organisation
from tsur.lib.ru import plural
from tsur.lib.workcal import WorkCalendar

# Less than this share of working time left (or one working day for the day regimes): amber.
SOON_MINUTES = 120
SOON_DAYS = 1
# An incident overdue by more than this is shown in working days, not hours.
LONG_OVERDUE = dt.timedelta(days=3)


@dataclass(frozen=True)
class Countdown:
    text: str
    state: str  # "overdue", "soon", "ok" or "paused" (the working clock stands now)
    unit: str  # "minutes" (ticks while running) or "days"
    minutes: int = 0  # signed working minutes left (negative: overdue), for the page's ticking
    running: bool = False  # the working clock runs now
    until: dt.datetime | None = None  # when it next stops (running) or starts (not running)

    @property
    def short(self) -> str:
        """The queue's narrow column: the same words without «рабочего времени»."""
        return self.text.removesuffix(" рабочего времени")

    @property
    def until_ms(self) -> int:
        return int(self.until.timestamp() * 1000) if self.until else 0


def format_minutes(minutes: int) -> str:
    """«3 ч 20 мин», «45 мин», «2 ч»."""
    hours, mins = divmod(abs(minutes), 60)
    if hours and mins:
        return f"{hours} ч {mins} мин"
    if hours:
        return f"{hours} ч"
    return f"{mins} мин"


def minutes_text(minutes: int) -> str:
    if minutes >= 0:
        return f"осталось {format_minutes(minutes)} рабочего времени"
    return f"просрочено на {format_minutes(minutes)} рабочего времени"


@functools.lru_cache(maxsize=65536)
def _is_working(cal: WorkCalendar, day: dt.date) -> bool:
    # The queue sorts the most overdue first: a page of appeals overdue for months counts the same
    # days again and again (calendars are frozen and compare by value, so the cache is safe).
    return cal.is_working_day(day)


@functools.lru_cache(maxsize=65536)
def _working_days(cal: WorkCalendar, start: dt.date, end: dt.date) -> int:
    """Working days d with start < d <= end (a pure function of its arguments: the queue's
    refresh every 30 s asks the same questions again)."""
    n, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if _is_working(cal, day):
            n += 1
    return n


def _days_text(n: int, *, overdue: bool) -> str:
    word = plural(n, "раб. день", "раб. дня", "раб. дней")
    return f"просрочено на {n} {word}" if overdue else f"осталось {n} {word}"


def _clock_state(cal: WorkCalendar, now: dt.datetime) -> tuple[bool, dt.datetime]:
    """Whether the working clock runs at `now`, and when it next stops (or starts)."""
    start = cal.next_working_minute(now)
    if start <= now:
        return True, cal.day_end(start.date())
    return False, start


def countdown(appeal: Appeal, now: dt.datetime, *, cal: WorkCalendar, policy: DeadlinePolicy) -> Countdown | None:
    """The countdown of an open appeal with a deadline, else None."""
    if not appeal.is_open or appeal.due_at is None:
        return None
    due = appeal.due_at
    today = now.astimezone(cal.tz).date()
    due_day = due.astimezone(cal.tz).date()
    hours = effective_unit(policy, appeal.urgency) == Unit.WORKING_HOURS
    if hours and now - due > LONG_OVERDUE:
        # «просрочено на 212 ч» says less than days: an incident late by days is counted in days.
        n = _working_days(cal, due_day, today)
        return Countdown(text=_days_text(n, overdue=True), state="overdue", unit="days")
    if hours:
        running, until = _clock_state(cal, now)
        if due > now:
            minutes = cal.working_minutes_between(now, due)
            state = "soon" if minutes <= SOON_MINUTES else "ok"
        else:
            # At least a minute: a deadline that has passed never reads as «осталось 0 мин».
            minutes = -max(1, cal.working_minutes_between(due, now))
            state = "overdue"
        if not running and state != "overdue":
            state = "paused"
        return Countdown(text=minutes_text(minutes), state=state, unit="minutes", minutes=minutes, running=running, until=until)
    if due <= now:
        n = _working_days(cal, due_day, today)
        text = _days_text(n, overdue=True) if n else f"просрочено с {due.astimezone(cal.tz):%H:%M}"
        return Countdown(text=text, state="overdue", unit="days")
    n = _working_days(cal, today, due_day)
    if n == 0:
        text = f"срок сегодня до {due.astimezone(cal.tz):%H:%M}"
    else:
        text = _days_text(n, overdue=False)
    return Countdown(text=text, state="soon" if n <= SOON_DAYS else "ok", unit="days")


@dataclass
class Countdowns:
    """Countdowns for a page of appeals: one calendar per organisation, one policy per regime."""

    now: dt.datetime
    _calendars: dict[int | None, WorkCalendar] = field(default_factory=dict)
    _policies: dict[str, DeadlinePolicy] = field(default_factory=dict)

    def _calendar(self, organisation: Organisation | None) -> WorkCalendar:
        key = organisation.pk if organisation is not None else None
        if key not in self._calendars:
            self._calendars[key] = calendar_for(organisation)
        return self._calendars[key]

    def _policy(self, regime: str) -> DeadlinePolicy:
        if regime not in self._policies:
            self._policies[regime] = policy_for_regime(regime)[0]
        return self._policies[regime]

    def prepare(self, appeals: list[Appeal]) -> Countdowns:
        """Build the calendars of a page's organisations at once (`calendars_for`: one query of
        calendar exceptions, where `calendar_for` asks once per organisation)."""
        organisations = {a.organisation_id: a.organisation for a in appeals if a.organisation_id}
        missing = [org for pk, org in organisations.items() if pk not in self._calendars]
        if not missing and None in self._calendars:
            return self
        built = calendars_for(missing)
        self._calendars.setdefault(None, built.pop(None))
        self._calendars.update(built)
        return self

    def of(self, appeal: Appeal) -> Countdown | None:
        if not appeal.is_open or appeal.due_at is None:
            return None
        return countdown(appeal, self.now, cal=self._calendar(appeal.organisation), policy=self._policy(appeal.regime))
