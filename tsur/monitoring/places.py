"""Where an event is: its territory by the code or name the source sent, or by its point, and
its H3 cell. Built once per batch of intake: the boundaries are kept per process and reloaded
only when the territories change (their count and newest `updated_at`, one small query).

Points are located a batch at a time: the same ray-casting rule as `tsur.lib.geo.contains`
(deepest territory first), with numpy over every point × edge of a boundary at once. One point at
a time in pure Python cost ~0.2 ms against a city's 470-vertex boundary, a tenth of the intake."""

from __future__ import annotations

import threading
from collections.abc import Iterable

import h3
import numpy as np
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
            polygons.append((DEPTH.get(t.level, 1), t.pk, geo.bbox(t.boundary), _edges(t.boundary)))
    polygons.sort(key=lambda r: -r[0])
    with _lock:
        _cache.update(stamp=stamp, polygons=polygons, keys=keys)
    return polygons, keys


Edges = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
CHUNK = 512  # points tested against a boundary at once (points × edges floats in memory)


def _ring_edges(ring) -> Edges:
    xy = np.asarray([(p[0], p[1]) for p in ring], dtype=float)
    previous = np.roll(xy, 1, axis=0)  # edge i runs from vertex i-1 to vertex i, as geo._in_ring walks it
    return xy[:, 0], xy[:, 1], previous[:, 0], previous[:, 1]


def _edges(geometry: dict) -> list[list[Edges]]:
    polygons = geometry["coordinates"] if geometry.get("type") == "MultiPolygon" else [geometry["coordinates"]]
    return [[_ring_edges(ring) for ring in polygon] for polygon in polygons if polygon]


def _in_ring(lon: np.ndarray, lat: np.ndarray, edges: Edges) -> np.ndarray:
    xi, yi, xj, yj = edges
    crosses = (yi[None, :] > lat[:, None]) != (yj[None, :] > lat[:, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        x_cross = (xj - xi)[None, :] * (lat[:, None] - yi[None, :]) / (yj - yi)[None, :] + xi[None, :]
    return ((crosses & (lon[:, None] < x_cross)).sum(axis=1) % 2).astype(bool)


def _contains(polygons: list[list[Edges]], lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    inside = np.zeros(len(lon), dtype=bool)
    for rings in polygons:
        here = _in_ring(lon, lat, rings[0])
        for hole in rings[1:]:
            here &= ~_in_ring(lon, lat, hole)
        inside |= here
    return inside


class Places:
    """Territory look-ups for one batch; points seen twice (a camera, a sensor) are looked up once."""

    def __init__(self) -> None:
        self._polygons, self._keys = _load()
        self._points: dict[tuple[float, float], int | None] = {}

    def by_key(self, value: str, by: str) -> int | None:
        return self._keys[by].get(value.casefold() if by != "oktmo" else value)

    def locate(self, points: Iterable[tuple[float, float]]) -> None:
        """Find the territories of these (lat, lon) points, to be read with `at`."""
        todo = sorted({p for p in points if p not in self._points})
        if not todo:
            return
        lat = np.fromiter((p[0] for p in todo), dtype=float, count=len(todo))
        lon = np.fromiter((p[1] for p in todo), dtype=float, count=len(todo))
        found = np.zeros(len(todo), dtype=np.int64)  # 0: not found yet
        for _depth, pk, (x0, y0, x1, y1), polygons in self._polygons:
            candidates = np.flatnonzero((found == 0) & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
            for start in range(0, len(candidates), CHUNK):
                chunk = candidates[start : start + CHUNK]
                found[chunk[_contains(polygons, lon[chunk], lat[chunk])]] = pk
        for point, pk in zip(todo, found.tolist(), strict=True):
            self._points[point] = pk or None

    def at(self, lat: float, lon: float) -> int | None:
        if (lat, lon) not in self._points:
            self.locate([(lat, lon)])
        return self._points[(lat, lon)]


def cell(lat: float | None, lon: float | None) -> str:
    return "" if lat is None or lon is None else h3.latlng_to_cell(lat, lon, H3_RESOLUTION)
