"""Synthetic appeal history in the test world for the platform's points of tension: a steady
trickle of potholes in the district, then a surge, created through the real services."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from tsur.appeals.services import NewAppeal, create_appeals
from tsur.core import clock
from tsur.tension.models import TensionPoint

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NOW = dt.datetime(2025, 3, 20, 12, 0, tzinfo=MSK)


def history(world, *, days: int = 70, surge_days: int = 4, surge_per_day: int = 6, category: str = "pothole") -> None:
    """One appeal every other day for `days` days, then `surge_per_day` a day for the last
    `surge_days` days (all before NOW), in the district, without coordinates."""
    items = []
    for n in range(days, 0, -1):
        moment = NOW - dt.timedelta(days=n, hours=3)
        per_day = surge_per_day if n <= surge_days else (1 if n % 2 == 0 else 0)
        for k in range(per_day):
            items.append(
                NewAppeal(
                    channel="operator", text=f"Яма на дороге у дома {n}-{k}", category_code=category,
                    territory_code="district", address=f"ул. Полевая, {n % 9 + k}", received_at=moment,
                )
            )  # fmt: skip
    with clock.at(NOW):
        create_appeals(items, world.operator)


def the_point(category_code: str = "pothole") -> TensionPoint:
    return TensionPoint.objects.get(level="category", category__code=category_code, place="district")
