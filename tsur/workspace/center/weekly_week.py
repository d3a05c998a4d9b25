"""The ISO week a weekly report covers: Monday to Sunday in the platform's zone (Moscow)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from django.utils import timezone

from tsur.core.errors import ValidationFailed

MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


@dataclasses.dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def of(cls, day: dt.date) -> Week:
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def last_complete(cls, today: dt.date) -> Week:
        """The latest week that has ended by `today` (last week, whatever day today is)."""
        return cls.of(today - dt.timedelta(days=today.isoweekday()))

    @classmethod
    def parse(cls, raw: str, *, today: dt.date) -> Week:
        """«2026-W47» or a date inside the week («2026-11-18»); empty means the last complete week.
        A week that has not started yet is refused."""
        raw = (raw or "").strip()
        if not raw:
            return cls.last_complete(today)
        match = ISO_WEEK.match(raw)
        try:
            if match:
                week = cls.of(dt.date.fromisocalendar(int(match[1]), int(match[2]), 1))
            else:
                week = cls.of(dt.date.fromisoformat(raw))
        except ValueError:
            raise ValidationFailed(
                f"Неделя «{raw[:20]}» не распознана: укажите неделю вида 2026-W47 или дату вида 2026-11-18.",
                field_errors={"week": ["Неделя не распознана."]},
            ) from None
        if week.monday > today:
            raise ValidationFailed(
                f"Неделя {week.label} ещё не началась: отчёт строится за прошедшие или текущую неделю.",
                field_errors={"week": ["Неделя ещё не началась."]},
            )
        return week

    @property
    def monday(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def start(self) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(self.monday, dt.time.min))

    @property
    def end(self) -> dt.datetime:
        """The moment after the week (midnight after Sunday), excluded."""
        return timezone.make_aware(dt.datetime.combine(self.monday + dt.timedelta(days=7), dt.time.min))

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def days(self) -> list[dt.date]:
        return [self.monday + dt.timedelta(days=i) for i in range(7)]

    def previous(self) -> Week:
        return Week.of(self.monday - dt.timedelta(days=7))

    def next(self) -> Week:
        return Week.of(self.monday + dt.timedelta(days=7))

    def title(self) -> str:
        """«неделя 47: 16–22 ноября 2026 г.» (or across months: «30 ноября — 6 декабря 2026 г.»)."""
        a, b = self.monday, self.sunday
        if a.month == b.month:
            span = f"{a.day}–{b.day} {MONTHS_GENITIVE[b.month - 1]} {b.year} г."
        elif a.year == b.year:
            span = f"{a.day} {MONTHS_GENITIVE[a.month - 1]} — {b.day} {MONTHS_GENITIVE[b.month - 1]} {b.year} г."
        else:
            span = f"{a.day} {MONTHS_GENITIVE[a.month - 1]} {a.year} г. — {b.day} {MONTHS_GENITIVE[b.month - 1]} {b.year} г."
        return f"неделя {self.number}: {span}"
