"""Where an event is: its territory by the code or name the source sent, or by its point, and
its H3 cell. Built once per batch of intake: the boundaries are kept per process and reloaded
only when the territories change (their count and newest `updated_at`, one small query)."""

from __future__ import annotations

import threading

import h3
from django.db.models import Count, Max

from tsur.directory.models import Territory
from tsur.lib import geo

H3_RESOLUTION = 9
# Deepest first, as the appeals find theirs (tsur.directory.services.territory_at): a point in a
# town is the town's, not only the district's.
DEPTH = {"region": 0, "city_district": 1, "municipal_district": 1, "okrug": 2, "settlement": 3}

_lock = threading.Lock()
_cache: dict[str, object] = {"stamp": None, "polygons": [], "keys": {}}


def _stamp() -> tuple:
    row = Territory.objects.aggregate(n=Count("pk"), newest=Max("updated_at"))
    return row["n"], row["newest"]


def _load() -> tuple[list, dict]:
    stamp = _stamp()
    with _lock:
        if _cache["stamp"] == stamp:
            return _cache["polygons"], _cache["keys"]  # type: ignore[return-value]
    polygons = []
    keys: dict[str, dict[str, int]] = {"code": {}, "name": {}, "oktmo": {}}
    for t in Territory.objects.only("pk", "code", "name", "oktmo", "level", "boundary"):
        keys["code"][t.code.casefold()] = t.pk
        keys["name"].setdefault(t.name.casefold(), t.pk)
        if t.oktmo:
            keys["oktmo"][t.oktmo] = t.pk
        if t.boundary:
            polygons.append((DEPTH.get(t.level, 1), t.pk, geo.bbox(t.boundary), t.boundary))
    polygons.sort(key=lambda r: -r[0])
    with _lock:
        _cache.update(stamp=stamp, polygons=polygons, keys=keys)
    return polygons, keys


class Places:
    """Territory look-ups for one batch; points seen twice (a camera, a sensor) are looked up once."""

    def __init__(self) -> None:
        self._polygons, self._keys = _load()
        self._points: dict[tuple[float, float], int | None] = {}

    def by_key(self, value: str, by: str) -> int | None:
        return self._keys[by].get(value.casefold() if by != "oktmo" else value)

    def at(self, lat: float, lon: float) -> int | None:
        point = (round(lat, 5), round(lon, 5))  # ~1 m
        if point not in self._points:
            found = None
            for _depth, pk, (x0, y0, x1, y1), boundary in self._polygons:
                if x0 <= lon <= x1 and y0 <= lat <= y1 and geo.contains(boundary, lat, lon):
                    found = pk
                    break
            self._points[point] = found
        return self._points[point]


def cell(lat: float | None, lon: float | None) -> str:
    return "" if lat is None or lon is None else h3.latlng_to_cell(lat, lon, H3_RESOLUTION)
