"""How well an objective event and a resident's appeal speak of the same thing: place, time and
topic, each scored 0..1 and explained in Russian. Plain values in, no Django: the matcher feeds it
rows, the tests feed it numbers.

The rule (docs/monitoring.md, «Matching»):
- place: within the kind's radius of the event's point (1 at the point, 0.5 at the edge); else the
  same or a neighbouring H3 cell (0.45); else the same address (0.9) or street (0.4); else, only
  where one side has no point, the same territory (0.2). Two points far apart never match by
  territory: the territory is the weakest sign and a point is a stronger one.
- time: the appeal received within [occurred − before, occurred + after] of the event's own time
  (1 at the moment, 0.5 at the window's edge); or — for the recurrence that contradicts an answer —
  the event within `before` hours after the answer's publication (0.6).
- topic: the appeal's category among the kind's (1); where the appeal has no category yet, its
  block one of theirs (0.4). An appeal whose category is known and not the kind's speaks of
  something else: a water-main call beside a heating complaint of the same block is not linked.
The score is 0.45 × place + 0.25 × time + 0.30 × topic; a pair below `THRESHOLD` is not linked.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass

import h3

from tsur.lib.geo import distance_km
from tsur.lib.ru import plural
from tsur.triage.engine.place.words import STREET_TYPES

W_PLACE, W_TIME, W_TOPIC = 0.45, 0.25, 0.30
THRESHOLD = 0.45

PLACE_CELL, PLACE_ADDRESS, PLACE_STREET, PLACE_TERRITORY = 0.45, 0.9, 0.4, 0.2
TIME_AFTER_ANSWER = 0.6
TOPIC_BLOCK = 0.4


@dataclass(frozen=True)
class EventFacts:
    occurred_at: dt.datetime
    kind_name: str
    radius_m: int
    before_hours: int
    after_hours: int
    category_ids: frozenset[int]
    block_ids: frozenset[int]
    lat: float | None = None
    lon: float | None = None
    cell: str = ""
    address: str = ""
    territory_id: int | None = None


@dataclass(frozen=True)
class AppealFacts:
    received_at: dt.datetime
    category_id: int | None
    block_id: int | None
    category_name: str = ""
    block_name: str = ""
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    territory_id: int | None = None
    territory_name: str = ""
    published_at: dt.datetime | None = None


@dataclass(frozen=True)
class Match:
    score: float
    reason: str


_TOKEN = re.compile(r"[\w-]+")
_HOUSE_WORDS = frozenset({"д", "дом", "корп", "к", "стр", "строение", "кв"})


@functools.lru_cache(maxsize=65536)
def address_keys(address: str) -> tuple[str, str]:
    """(street, street and house) of an address, normalised: «ул. Ленина, д. 5» and «улица Ленина 5»
    give the same keys; empty where no street type is named."""
    text = address.casefold().replace("ё", "е")
    parts = [p for p in re.split(r"[,;]", text) if p.strip()]
    for i, part in enumerate(parts):
        tokens = _TOKEN.findall(part)
        types = [t for t in tokens if t in STREET_TYPES]
        if not types:
            continue
        name = [t for t in tokens if t not in STREET_TYPES and t not in _HOUSE_WORDS and not t[0].isdigit()]
        if not name:
            continue
        street = f"{STREET_TYPES[types[0]]} {' '.join(name)}"
        numbers = [t for t in tokens if t[0].isdigit()]
        if not numbers and i + 1 < len(parts):
            numbers = [t for t in _TOKEN.findall(parts[i + 1]) if t[0].isdigit()]
        return street, f"{street} {numbers[0]}" if numbers else ""
    return "", ""


@functools.lru_cache(maxsize=65536)
def cell_of(lat: float | None, lon: float | None, resolution: int = 9) -> str:
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    return h3.latlng_to_cell(lat, lon, resolution)


def _near_cells(a: str, b: str) -> bool:
    if not a or not b:
        return False
    if a == b:
        return True
    try:
        return h3.grid_distance(a, b) <= 1
    except (h3.H3BaseException, ValueError):
        return False


def _metres(m: float) -> str:
    if m < 1000:
        return f"в {max(10, round(m / 10) * 10)} м от события"
    return f"в {m / 1000:.1f} км от события".replace(".", ",")


def place_score(e: EventFacts, a: AppealFacts) -> tuple[float, str]:
    both_points = None not in (e.lat, e.lon, a.lat, a.lon)
    if both_points:
        metres = distance_km(e.lat, e.lon, a.lat, a.lon) * 1000  # type: ignore[arg-type]
        if metres <= e.radius_m:
            return 1.0 - 0.5 * metres / max(e.radius_m, 1), _metres(metres)
        if _near_cells(e.cell or cell_of(e.lat, e.lon), cell_of(a.lat, a.lon)):
            return PLACE_CELL, "в соседнем квартале (та же или соседняя ячейка карты)"
    if e.address and a.address:
        e_street, e_house = address_keys(e.address)
        a_street, a_house = address_keys(a.address)
        if e_house and e_house == a_house:
            return PLACE_ADDRESS, "по тому же адресу"
        if e_street and e_street == a_street:
            return PLACE_STREET, "на той же улице"
    if not both_points and e.territory_id is not None and e.territory_id == a.territory_id:
        where = f" («{a.territory_name}»)" if a.territory_name else ""
        return PLACE_TERRITORY, f"на той же территории{where}"
    return 0.0, ""


def _hours(h: float) -> str:
    if h < 1:
        minutes = max(1, round(h * 60))
        return f"{minutes} {plural(minutes, 'минуту', 'минуты', 'минут')}"
    if h < 48:
        n = round(h)
        return f"{n} {plural(n, 'час', 'часа', 'часов')}"
    n = round(h / 24)
    return f"{n} {plural(n, 'день', 'дня', 'дней')}"


def time_score(e: EventFacts, a: AppealFacts) -> tuple[float, str]:
    delta_h = (a.received_at - e.occurred_at).total_seconds() / 3600
    if -e.before_hours <= delta_h <= e.after_hours:
        side = e.after_hours if delta_h >= 0 else e.before_hours
        value = 1.0 - 0.5 * abs(delta_h) / max(side, 1)
        if abs(delta_h) < 1 / 60:
            return value, "в то же время"
        when = f"через {_hours(delta_h)} после него" if delta_h > 0 else f"за {_hours(-delta_h)} до него"
        return value, when
    if a.published_at is not None:
        since_answer_h = (e.occurred_at - a.published_at).total_seconds() / 3600
        if 0 <= since_answer_h <= e.before_hours:
            return TIME_AFTER_ANSWER, f"событие через {_hours(since_answer_h)} после опубликованного ответа"
    return 0.0, ""


def topic_score(e: EventFacts, a: AppealFacts) -> tuple[float, str]:
    if a.category_id is not None and a.category_id in e.category_ids:
        return 1.0, f"категория «{a.category_name}» соответствует виду события «{e.kind_name}»"
    if a.category_id is None and a.block_id is not None and a.block_id in e.block_ids:
        return TOPIC_BLOCK, f"блок «{a.block_name}» тот же, что у вида события «{e.kind_name}»"
    return 0.0, ""


def score(e: EventFacts, a: AppealFacts) -> Match | None:
    """The pair's score and reason, or None when place, time or topic does not match at all or
    the whole falls below the threshold."""
    topic, topic_why = topic_score(e, a)
    if not topic:
        return None
    when, when_why = time_score(e, a)
    if not when:
        return None
    place, place_why = place_score(e, a)
    if not place:
        return None
    total = W_PLACE * place + W_TIME * when + W_TOPIC * topic
    if total < THRESHOLD:
        return None
    total = math.floor(total * 1000) / 1000
    return Match(total, f"{place_why}, {when_why}, {topic_why}")
