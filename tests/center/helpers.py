"""Points of tension for the center's page tests, written as the detector leaves them (the
detector itself is tested in tests/tension): these tests check how pages show them. Make them
after the test's appeals: a change to an appeal recomputes its block's points, and the detector
drops an untouched point it does not find."""

from __future__ import annotations

import datetime as dt

from tsur.tension.models import Level, PlaceKind, State, TensionPoint


def make_point(world, *, appeals=(), first_seen: dt.datetime, start: dt.date, days: int = 7, **fields) -> TensionPoint:
    values = {
        "place_kind": PlaceKind.TERRITORY,
        "place": world.district.code,
        "territory": world.district,
        "level": Level.CATEGORY,
        "block": world.roads,
        "category": world.pothole,
        "lat": 53.5,
        "lon": 35.45,
        "state": State.GROWING,
        "window_start": start,
        "window_end": start + dt.timedelta(days=days),
        "first_seen": first_seen,
        "updated_at": first_seen,
        "count": 12,
        "expected": 2.5,
        "surprise": 6.0,
        "score": 9.5,
        "explanation": "Ямы на дороге, Район: 12 обращений за неделю при обычных 2,5; с 16.11.2026; половина без ответа.",
        "series": [{"day": (start + dt.timedelta(days=i)).isoformat(), "count": 2, "expected": 0.4} for i in range(days)],
    }
    values.update(fields)
    point = TensionPoint.objects.create(**values)
    point.appeals.set(appeals)
    return point
