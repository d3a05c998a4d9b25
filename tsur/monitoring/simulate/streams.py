"""Streams of the four demo sources, each in its system's own format (the external field names of
tsur/demo/data/monitoring.json): camera detections, 112 call cards, housing-inspection cases and
sensor readings. Seeded and time-explicit: the same seed and start give the same items, each
with its own time; nothing here reads the clock or the database.

Every generator returns `Item`s sorted by time: an event's first version and, later, its updates
(a detection cleared, a card closed, a case checked and closed) as further items with the same
external id, as the systems send them."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tsur.monitoring.simulate.frames import frame_base64
from tsur.monitoring.simulate.places import CITY_PLACES, CITY_SENSORS, Place

MSK = dt.timezone(dt.timedelta(hours=3))

# The demo's source codes (tsur/demo/data/monitoring.json), the stream each one takes.
CAMERA, CALL112, HOUSING, SENSOR = "kaluga-safe-city", "kaluga-112", "kaluga-gzhi", "kaluga-sensors"
SOURCE_OF = {"camera": CAMERA, "112": CALL112, "housing": HOUSING, "sensor": SENSOR}


@dataclass(frozen=True, slots=True)
class Item:
    at: dt.datetime  # the item's own time: when the system sends it
    source: str  # the source's code
    payload: dict[str, Any]


def iso(moment: dt.datetime) -> str:
    """The systems' own ISO 8601 with the Moscow offset, to the second."""
    return moment.astimezone(MSK).replace(microsecond=0).isoformat()


def _spread(rng: random.Random, start: dt.datetime, count: int, hours: float) -> list[dt.datetime]:
    return sorted(start + dt.timedelta(seconds=rng.uniform(0, hours * 3600)) for _ in range(count))


def _near(rng: random.Random, place: Place, metres: float = 40) -> tuple[float, float]:
    d = metres / 111_200
    return round(place.lat + rng.uniform(-d, d), 6), round(place.lon + rng.uniform(-d, d) * 1.7, 6)


# --- cameras ------------------------------------------------------------------------------------

CAMERA_CLASSES = (("CONTAINER_OVERFLOW", 6), ("ILLEGAL_DUMP", 2), ("ROAD_ACCIDENT", 1), ("SNOW_ON_ROAD", 2))


def camera_id(place: Place) -> str:
    return f"CAM-{CITY_PLACES.index(place) * 37 % 900 + 100:04d}" if place in CITY_PLACES else "CAM-0999"


def camera_detection(rng: random.Random, at: dt.datetime, place: Place, klass: str, *, frames: bool = True) -> dict[str, Any]:
    cam = camera_id(place)
    lat, lon = _near(rng, place, 15)
    item: dict[str, Any] = {
        "detection_id": f"SC-{cam.replace('-', '')}-{at.astimezone(MSK):%Y%m%d-%H%M%S}",
        "camera": {"id": cam, "address": place.address, "lat": lat, "lon": lon},
        "class": klass,
        "confidence": round(rng.uniform(0.72, 0.99), 2),
        "detected_at": iso(at),
        "status": "open",
    }
    if frames:
        item["frame"] = frame_base64(cam, klass, at.astimezone(MSK), seed=rng.randrange(1 << 30))
    return item


def camera(count: int, start: dt.datetime, rng: random.Random, *, hours: float = 24, frames: bool = True) -> list[Item]:
    """`count` detections over `hours`; about half of them are cleared again hours later."""
    names, weights = zip(*CAMERA_CLASSES, strict=True)
    items: list[Item] = []
    for at in _spread(rng, start, count, hours):
        klass = rng.choices(names, weights)[0]
        place = rng.choice(CITY_PLACES)
        first = camera_detection(rng, at, place, klass, frames=frames)
        items.append(Item(at, CAMERA, first))
        if rng.random() < 0.5:
            cleared = at + dt.timedelta(hours=rng.uniform(1, 8))
            cleared_item = {**{k: v for k, v in first.items() if k != "frame"}, "status": "cleared", "cleared_at": iso(cleared)}
            items.append(Item(cleared, CAMERA, cleared_item))
    return sorted(items, key=lambda i: i.at)


# --- 112 ----------------------------------------------------------------------------------------

CALL_TYPES: dict[str, tuple[int, tuple[str, ...], tuple[str, ...]]] = {
    "ТЕПЛОСНАБЖЕНИЕ": (2, ("Нет отопления в квартирах", "Из-под земли идёт пар, батареи холодные", "Прорыв трубы отопления во дворе"),
                      ("ЕДДС г. Калуги", "Аварийная служба теплосетей")),
    "ВОДОСНАБЖЕНИЕ": (3, ("Нет холодной воды", "Прорыв водопровода, вода заливает дорогу", "Низкий напор воды"),
                     ("ЕДДС г. Калуги", "Аварийная служба водоканала")),
    "ДТП": (3, ("Столкновение двух автомобилей", "Наезд на пешехода на переходе", "ДТП, автомобиль перекрыл полосу"),
            ("ЕДДС г. Калуги", "ГИБДД", "Скорая медицинская помощь")),
    "ЗАПАХ_ГАЗА": (1, ("Запах газа в подъезде", "Запах газа на лестничной площадке"), ("ЕДДС г. Калуги", "Аварийная газовая служба")),
    "ЭЛЕКТРОСНАБЖЕНИЕ": (2, ("Нет света в доме", "Отключение электроэнергии в нескольких домах"),
                         ("ЕДДС г. Калуги", "Аварийная служба электросетей")),
}  # fmt: skip
_card_numbers = 118_000


def call_card(rng: random.Random, at: dt.datetime, place: Place, incident: str, number: int) -> dict[str, Any]:
    _, texts, services = CALL_TYPES[incident]
    lat, lon = _near(rng, place, 30)
    return {
        "card_id": f"112-40-{at.astimezone(MSK):%Y}-{number:06d}",
        "incident_type": incident,
        "description": rng.choice(texts),
        "address": place.address,
        "lat": lat,
        "lon": lon,
        "reg_time": iso(at),
        "upd_time": iso(at),
        "card_status": "ОТКРЫТА",
        "services": list(services),
        "dds": services[0],
    }


def card_update(card: dict[str, Any], at: dt.datetime, status: str) -> dict[str, Any]:
    out = dict(card, upd_time=iso(at), card_status=status)
    if status == "ЗАКРЫТА":
        out["close_time"] = iso(at)
    return out


def call112(count: int, start: dt.datetime, rng: random.Random, *, hours: float = 24, first_number: int | None = None) -> list[Item]:
    """`count` call cards over `hours`: each registered, taken into work, most closed."""
    names = list(CALL_TYPES)
    weights = [CALL_TYPES[n][0] for n in names]
    number = first_number if first_number is not None else _card_numbers + rng.randrange(0, 800_000)
    items: list[Item] = []
    for at in _spread(rng, start, count, hours):
        number += 1
        card = call_card(rng, at, rng.choice(CITY_PLACES), rng.choices(names, weights)[0], number)
        items.append(Item(at, CALL112, card))
        work = at + dt.timedelta(minutes=rng.uniform(5, 40))
        items.append(Item(work, CALL112, card_update(card, work, "В_РАБОТЕ")))
        if rng.random() < 0.85:
            done = work + dt.timedelta(hours=rng.uniform(0.5, 6))
            items.append(Item(done, CALL112, card_update(card, done, "ЗАКРЫТА")))
    return sorted(items, key=lambda i: i.at)


# --- the housing inspection ---------------------------------------------------------------------

VIOLATIONS: dict[str, tuple[str, ...]] = {
    "ТЕПЛО": ("Температура в квартирах ниже нормативной (+16 °C)", "Не прогреваются радиаторы в подъездах"),
    "ВОДА": ("Перебои с горячим водоснабжением", "Температура горячей воды ниже нормы"),
    "ОИ": ("Протечка кровли над верхними этажами", "Не убираются подъезды", "Разрушение отмостки дома"),
    "ЛИФТ": ("Лифт не работает более суток", "Неисправен лифт во втором подъезде"),
    "ПРИДОМ": ("Двор не очищен от снега", "Наледь на тротуаре у подъездов"),
}
MANAGERS = ("УК «Жилкомфорт»", "УК «Уютный дом»", "ООО «УК Калуга-Сервис»", "ТСЖ «Пролетарская, 48»")
INSPECTIONS = ("внеплановая выездная", "внеплановая документарная", "по обращению граждан")


def housing(count: int, start: dt.datetime, rng: random.Random, *, hours: float = 72, oktmo: str = "29701000") -> list[Item]:
    """`count` inspection cases over `hours`: opened, checked (revision 2), most closed with an order."""
    number = 4000 + rng.randrange(0, 5000)
    items: list[Item] = []
    for at in _spread(rng, start, count, hours):
        number += 1
        code = rng.choice(list(VIOLATIONS))
        place = rng.choice(CITY_PLACES)
        lat, lon = _near(rng, place, 10)
        case = {
            "case": {"number": f"ГЖИ-40-{at.astimezone(MSK):%Y}-{number:06d}", "revision": 1, "opened": iso(at), "closed": None,
                     "status": "открыто", "inspection": rng.choice(INSPECTIONS)},
            "violation": {"code": code, "text": rng.choice(VIOLATIONS[code]), "order": None},
            "object": {"address": place.address, "oktmo": oktmo, "geo": {"lat": lat, "lon": lon}, "manager": rng.choice(MANAGERS)},
        }  # fmt: skip
        items.append(Item(at, HOUSING, case))
        check = at + dt.timedelta(hours=rng.uniform(4, 30))
        second = _case_version(case, 2, "проверка")
        items.append(Item(check, HOUSING, second))
        if rng.random() < 0.7:
            closed = check + dt.timedelta(hours=rng.uniform(6, 48))
            third = _case_version(second, 3, "закрыто", closed=iso(closed), order=f"Предписание № {number}-П выполнено")
            items.append(Item(closed, HOUSING, third))
    return sorted(items, key=lambda i: i.at)


def _case_version(case: dict[str, Any], revision: int, status: str, *, closed: str | None = None, order: str | None = None) -> dict[str, Any]:
    out = {"case": dict(case["case"], revision=revision, status=status), "violation": dict(case["violation"]), "object": case["object"]}
    if closed:
        out["case"]["closed"] = closed
    if order:
        out["violation"]["order"] = order
    return out


# --- sensors ------------------------------------------------------------------------------------

# Normal level and noise of each metric (units as the demo's mapping: МПа, °C, ЕМФ, мкг/м³), and
# how deep an excursion goes (a value past the alarm threshold of the mapping).
NORMAL: dict[str, tuple[float, float, float]] = {
    "P_SUPPLY": (0.62, 0.02, 0.22),
    "T_SUPPLY": (92.0, 2.0, 48.0),
    "P_WATER": (0.42, 0.02, 0.12),
    "TURBIDITY": (0.8, 0.15, 4.5),
    "PM25": (14.0, 4.0, 85.0),
}
UNITS = {"P_SUPPLY": "МПа", "T_SUPPLY": "°C", "P_WATER": "МПа", "TURBIDITY": "ЕМФ", "PM25": "мкг/м³"}
DECIMALS = {"P_SUPPLY": 3, "T_SUPPLY": 1, "P_WATER": 3, "TURBIDITY": 2, "PM25": 1}


def reading(device: str, metric: str, value: float, at: dt.datetime, place: Place, net: str) -> dict[str, Any]:
    return {
        "device": device,
        "param": metric,
        "val": round(value, DECIMALS[metric]),
        "unit": UNITS[metric],
        "ts": int(at.timestamp()),
        "net": net,
        "loc": {"lat": place.lat, "lon": place.lon, "addr": f"Калуга, {place.street}" + (f", {place.house}" if "ТК" not in place.street else "")},
    }


def sensor(count: int, start: dt.datetime, rng: random.Random, *, interval_minutes: int = 10, excursions: float = 0.004) -> list[Item]:
    """`count` readings of the city's sensors, one round every `interval_minutes`; now and then a
    sensor drifts out of its norm for a few hours (the alarm opens an event, the recovery closes it)."""
    items: list[Item] = []
    dipping: dict[tuple[str, str], int] = {}  # rounds left out of the norm
    step = dt.timedelta(minutes=interval_minutes)
    n = 0
    round_no = 0
    while n < count:
        at = start + step * round_no
        for device, metric, place, net in CITY_SENSORS:
            if n >= count:
                break
            mean, noise, excursion = NORMAL[metric]
            key = (device, metric)
            if key not in dipping and rng.random() < excursions:
                dipping[key] = rng.randint(6, 24)
            value = rng.gauss(excursion if key in dipping else mean, noise)
            if key in dipping:
                dipping[key] -= 1
                if dipping[key] <= 0:
                    del dipping[key]
            when = at + dt.timedelta(seconds=rng.randint(0, 50))
            items.append(Item(when, SENSOR, reading(device, metric, max(value, 0.0), when, place, net)))
            n += 1
        round_no += 1
    return sorted(items, key=lambda i: i.at)


GENERATORS: dict[str, Callable[..., list[Item]]] = {"camera": camera, "112": call112, "housing": housing, "sensor": sensor}


def stream(name: str, count: int, start: dt.datetime, seed: int) -> list[Item]:
    """The items of one simulator (`camera`, `112`, `housing`, `sensor`)."""
    return GENERATORS[name](count, start, random.Random(f"{name}:{seed}"))


def merged(*streams: list[Item]) -> Iterator[Item]:
    """Several streams in time order."""
    return iter(sorted((i for s in streams for i in s), key=lambda i: i.at))
