"""Places of points named the way an official names them: a map cell (H3) becomes «Малоярославец,
у ул. Ленина» (the nearest configured street whose centre lies within STREET_RADIUS_KM of the
cell's centre), else «Калуга, центр» / «Калуга, 3 км к северо-западу от центра» (the nearest
settlement with a centre within SETTLEMENT_RADIUS_KM, or NEAR_RADIUS_KM when the cell lies in that
very town), else «Малоярославецкий район, 6 км к югу от населённого пункта Детчино» (a settlement
within NEAR_RADIUS_KM; the name stays undeclined), else «<территория>, участок карты». A territory
point is named by its territory. Names are computed at display time and kept per cell for as long
as the directory's streets and territories do not change (rows, last change, sum of centres).

The stored explanation names a cell «<территория>, участок карты» (tsur.tension.services writes
it): `explanation_of` puts the official's name in its place when a page shows it."""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import h3
from django.db.models import Count, Max, Sum

from tsur.directory.models import Street, Territory
from tsur.tension.models import PlaceKind, TensionPoint
from tsur.triage.engine.place.words import STREET_ABBR  # the addresses triage writes

STREET_RADIUS_KM = 1.0
SETTLEMENT_RADIUS_KM = 4.0
CENTRE_RADIUS_KM = 1.0
NEAR_RADIUS_KM = 15.0
# Territories whose centre names a town or village (a municipal district's centre is its town,
# which is listed itself; the region's centre says nothing about a place).
SETTLEMENT_LEVELS = ("settlement", "city_district")
CELL_WORDS = "участок карты"

_DIRECTIONS = ("северу", "северо-востоку", "востоку", "юго-востоку", "югу", "юго-западу", "западу", "северо-западу")


@dataclass(frozen=True)
class _Spot:
    name: str
    town: str
    lat: float
    lon: float


class _Directory:
    def __init__(self, key: tuple) -> None:
        self.key = key
        self.streets = [
            _Spot(f"{STREET_ABBR.get(kind, kind)} {name}", town, lat, lon)
            for name, kind, town, lat, lon in Street.objects.filter(lat__isnull=False, lon__isnull=False).values_list(
                "name", "type", "territory__name", "lat", "lon"
            )
        ]
        self.settlements = [
            _Spot(name, name, lat, lon)
            for name, lat, lon in Territory.objects.filter(
                level__in=SETTLEMENT_LEVELS, lat__isnull=False, lon__isnull=False
            ).values_list("name", "lat", "lon")
        ]
        self.names: dict[tuple[str, str], str] = {}


_lock = threading.Lock()
_directory: _Directory | None = None


def _key() -> tuple:
    """What the names depend on, cheaply: rows, last change and the sum of the centres (a bulk
    update that moves a centre leaves updated_at alone)."""
    fields = {"n": Count("pk"), "at": Max("updated_at"), "lat": Sum("lat"), "lon": Sum("lon")}
    s = Street.objects.aggregate(**fields)
    t = Territory.objects.aggregate(**fields)
    return tuple(s.values()) + tuple(t.values())


def _current() -> _Directory:
    global _directory
    key = _key()
    with _lock:
        if _directory is None or _directory.key != key:
            _directory = _Directory(key)
        return _directory


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def direction(lat1: float, lon1: float, lat2: float, lon2: float) -> str:
    """Where (lat2, lon2) lies from (lat1, lon1), in the dative after «к»: «северо-западу»."""
    dy = lat2 - lat1
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    bearing = math.degrees(math.atan2(dx, dy)) % 360
    return _DIRECTIONS[int((bearing + 22.5) // 45) % 8]


def _km(d: float) -> str:
    return f"{d:.0f}" if d >= 3 else f"{d:.1f}".replace(".", ",").replace(",0", "")


def _nearest(spots: list[_Spot], lat: float, lon: float) -> tuple[_Spot | None, float]:
    best, best_d = None, math.inf
    for s in spots:
        d = distance_km(lat, lon, s.lat, s.lon)
        if d < best_d:
            best, best_d = s, d
    return best, best_d


def _name_cell(d: _Directory, cell: str, territory: str) -> str:
    try:
        lat, lon = h3.cell_to_latlng(cell)
    except (ValueError, TypeError, h3.H3BaseException):
        return f"{territory}, {CELL_WORDS}" if territory else CELL_WORDS
    street, sd = _nearest(d.streets, lat, lon)
    if street is not None and sd <= STREET_RADIUS_KM:
        return f"{street.town}, у {street.name}"
    town, td = _nearest(d.settlements, lat, lon)
    if town is not None and td <= SETTLEMENT_RADIUS_KM:
        if td <= CENTRE_RADIUS_KM:
            return f"{town.name}, центр"
        return f"{town.name}, {_km(td)} км к {direction(town.lat, town.lon, lat, lon)} от центра"
    if town is not None and td <= NEAR_RADIUS_KM:
        way = f"{_km(td)} км к {direction(town.lat, town.lon, lat, lon)}"
        if not territory or territory == town.name:  # a large town's outskirts
            return f"{town.name}, {way} от центра"
        # «от населённого пункта Детчино»: the name stays as written (no case to guess).
        return f"{territory}, {way} от населённого пункта {town.name}"
    return f"{territory}, {CELL_WORDS}" if territory else CELL_WORDS


def _territory_name(point: TensionPoint) -> str:
    return point.territory.name if point.territory_id and point.territory else ""


def name_points(points: Iterable[TensionPoint]) -> None:
    """Set `place_name` on each point (one look at the directory for all of them)."""
    points = list(points)
    if not points:
        return
    d = _current() if any(p.place_kind == PlaceKind.CELL for p in points) else None
    for p in points:
        territory = _territory_name(p)
        if p.place_kind != PlaceKind.CELL or d is None:
            p.place_name = territory or p.place
            continue
        k = (p.place, territory)
        name = d.names.get(k)
        if name is None:
            name = d.names[k] = _name_cell(d, p.place, territory)
        p.place_name = name


def place_name(point: TensionPoint) -> str:
    """The point's place for people (set by name_points, computed when it was not)."""
    if getattr(point, "place_name", None) is None:
        name_points([point])
    return point.place_name


_CELL_IN_TEXT = re.compile(r" — [^:—]*" + CELL_WORDS + ":")


def explanation_of(point: TensionPoint) -> str:
    """The stored explanation with the cell named as an official would name it."""
    text = point.explanation
    if point.place_kind != PlaceKind.CELL:
        return text
    return _CELL_IN_TEXT.sub(lambda _m: f" — {place_name(point)}:", text, count=1)


def facts_of(point: TensionPoint) -> str:
    """The explanation without its «что — где: » head, for pages that title the point beside it:
    «1215 обращений за 10 дней (…) при обычных 16,9; растёт с 26.11.2026; …». A point leading
    an episode of several cells says the figures are its own cell's."""
    text = explanation_of(point)
    dash = text.find(" — ")
    colon = text.find(": ", dash) if dash >= 0 else -1
    if colon < 0:
        return text
    facts = text[colon + 2 :]
    group = getattr(point, "group", None)
    if group is not None and group.neighbours:
        facts = f"Самый сильный участок ({place_name(point)}): {facts}"
    return facts
