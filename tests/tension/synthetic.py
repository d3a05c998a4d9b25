"""Synthetic appeal streams for the detector's tests: seeded Poisson counts, no real data."""

from __future__ import annotations

import datetime as dt

import numpy as np

from tsur.tension.engine.model import Record

DAY0 = dt.date(2024, 1, 1)  # a Monday


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def steady(
    rng: np.random.Generator,
    *,
    place: str,
    topic: str,
    days: range,
    rate: float,
    block: str = "",
    parent: str = "",
    weekday_rates: tuple[float, ...] | None = None,
) -> list[Record]:
    """Poisson counts per day: `rate`, or `weekday_rates[weekday]` when given."""
    out = []
    for n in days:
        lam = weekday_rates[day(n).weekday()] if weekday_rates else rate
        for _ in range(rng.poisson(lam)):
            out.append(Record(day=day(n), place=place, topic=topic, block=block, parent_place=parent, id=f"{place}-{topic}-{n}-{len(out)}"))
    return out


def burst(*, place: str, topic: str, days: range, per_day: int, block: str = "", parent: str = "", flags: int = 0) -> list[Record]:
    return [
        Record(day=day(n), place=place, topic=topic, block=block, parent_place=parent, id=f"b-{place}-{topic}-{n}-{k}", flags=flags)
        for n in days
        for k in range(per_day)
    ]
