"""The heating-main burst: a failure on main М-3 at heat chamber ТК-17, as every system sees it.

Time T is the failure. Before it the chamber's sensors read normal; from T the supply pressure and
temperature fall past their thresholds (the sensors' hysteresis opens events), the downstream
chamber ТК-21 follows; 112 cards about no heating come from the same blocks; residents write
through the widget, the app and the social networks, most in the first hours; the housing
inspection opens a case. At T + `repair_hours` the main is repaired: the readings climb back
past their clear levels (the events close), the 112 cards are closed, the inspection closes its
case the next day.

`timeline(start, seed)` returns the steps in time order; `tsur.monitoring.simulate.deliver` runs
them through the real intake and appeal services (or the HTTP API). Seeded: the same seed and
start give the same steps."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from tsur.monitoring.simulate.places import BURST_HOUSES, BURST_NETWORK, BURST_SENSOR, BURST_SENSOR_PLACE, BURST_SENSORS, Place
from tsur.monitoring.simulate.streams import CALL112, HOUSING, SENSOR, Item, call_card, card_update, iso, reading

HEATING_CATEGORY = "housing-heating-mkd"
DOWNSTREAM = next(s for s in BURST_SENSORS if s[0] == "TS-KLG-021" and s[1] == "P_SUPPLY")

# Residents' messages: {house} is the address as people write it.
TEXTS = (
    "Нет отопления с утра, батареи ледяные. {house}, в квартире +15.",
    "Добрый день! По адресу {house} батареи холодные, дома дети, когда дадут тепло?",
    "В доме {house} отключили отопление без предупреждения. Холодно, просим срочно разобраться.",
    "Батареи еле тёплые, в квартире 14 градусов. Адрес: {house}.",
    "{house} — нет отопления уже несколько часов, управляющая компания трубку не берёт.",
    "Во дворе дома {house} из люка идёт пар, а в квартирах холодно. Что случилось?",
    "Почему нет тепла? {house}, все стояки холодные, пожилые соседи мёрзнут.",
    "Прошу восстановить отопление в доме {house}, радиаторы холодные со вчерашнего вечера.",
    "Замерзаем! {house}, отопления нет, на улице минус двенадцать.",
    "Холодные батареи во всём подъезде, {house}. Аварийная служба сказала, что авария на теплотрассе, сроков не называют.",
    "{house}: в квартире очень холодно, ребёнок заболел. Когда включат отопление?",
    "Отопление пропало во всём доме {house}. Просим сообщить сроки ремонта.",
)
CHANNELS = (("widget", 5), ("app", 3), ("vk", 3), ("telegram", 2))
CALL_TEXTS = (
    "Нет отопления в нескольких домах",
    "Из-под земли идёт пар у теплокамеры, батареи холодные",
    "Прорыв трубы отопления во дворе, парит",
    "Нет отопления в квартирах, пожилые жильцы",
)


@dataclass(frozen=True, slots=True)
class Message:
    """A resident's message about the failure (no personal data: the simulator invents none)."""

    at: dt.datetime
    channel: str
    text: str
    place: Place
    lat: float
    lon: float
    external_id: str
    category_code: str = HEATING_CATEGORY


@dataclass(frozen=True, slots=True)
class Step:
    at: dt.datetime
    items: tuple[Item, ...] = ()  # one source's items, sent together
    messages: tuple[Message, ...] = ()
    note: str = ""  # what happens, for the command's progress lines

    @property
    def source(self) -> str:
        return self.items[0].source if self.items else ""


@dataclass
class Burst:
    start: dt.datetime
    seed: int
    steps: list[Step] = field(default_factory=list)

    @property
    def end(self) -> dt.datetime:
        return self.steps[-1].at if self.steps else self.start

    def count(self, what: str) -> int:
        if what == "messages":
            return sum(len(s.messages) for s in self.steps)
        return sum(1 for s in self.steps for i in s.items if i.source == what)


def _readings(at: dt.datetime, values: dict[tuple[str, str], float]) -> Step:
    items = []
    for (device, metric), value in values.items():
        place, net = next((p, n) for d, m, p, n in BURST_SENSORS if d == device and m == metric)
        items.append(Item(at, SENSOR, reading(device, metric, value, at, place, net)))
    return Step(at, tuple(items))


def timeline(start: dt.datetime, seed: int = 11, *, messages: int = 36, calls: int = 7, repair_hours: float = 18) -> Burst:
    """The burst's steps from T − 2 h (normal readings) to T + repair + 30 h (the case closed)."""
    rng = random.Random(f"burst:{seed}")
    burst = Burst(start, seed)
    steps: list[Step] = []
    minute = dt.timedelta(minutes=1)
    p17, t17, p21 = (BURST_SENSOR, "P_SUPPLY"), (BURST_SENSOR, "T_SUPPLY"), (DOWNSTREAM[0], "P_SUPPLY")
    # Normal readings every 10 minutes for two hours before the failure.
    for k in range(12, 0, -1):
        at = start - 10 * minute * k
        steps.append(_readings(at, {p17: rng.gauss(0.62, 0.01), t17: rng.gauss(92, 1.0), p21: rng.gauss(0.60, 0.01)}))
    # The failure: pressure and temperature fall over 40 minutes, then stay low until the repair.
    fall = [(0.61, 91.0, 0.60), (0.55, 86.0, 0.57), (0.46, 77.0, 0.50), (0.37, 66.0, 0.41), (0.29, 57.0, 0.33)]
    for k, (p, t, d) in enumerate(fall):
        steps.append(_readings(start + 10 * minute * k, {p17: p, t17: t, p21: d}))
    steps[-1] = Step(steps[-1].at, steps[-1].items, note=f"давление и температура на {BURST_SENSOR} ниже порога")
    low_until = start + dt.timedelta(hours=repair_hours)
    at = start + 50 * minute
    while at < low_until:
        steps.append(_readings(at, {p17: rng.uniform(0.18, 0.3), t17: rng.uniform(44, 55), p21: rng.uniform(0.22, 0.32)}))
        at += 30 * minute
    # The repair: the readings climb back; the clear levels (0.45 МПа, 65 °C) are passed within an hour.
    rise = [(0.33, 58.0, 0.34), (0.41, 63.0, 0.43), (0.53, 71.0, 0.52), (0.6, 84.0, 0.58), (0.62, 90.0, 0.6)]
    for k, (p, t, d) in enumerate(rise):
        steps.append(_readings(low_until + 15 * minute * k, {p17: p, t17: t, p21: d}))
    steps.append(Step(low_until + 75 * minute, note="ремонт завершён: показания в норме"))
    after = low_until + 90 * minute
    for k in range(12):
        moment = after + 30 * minute * k
        steps.append(_readings(moment, {p17: rng.gauss(0.62, 0.01), t17: rng.gauss(91, 1.0), p21: rng.gauss(0.6, 0.01)}))

    # 112: the first calls within half an hour, the last about four hours in; closed after the repair.
    number = 200_000 + seed * 1000
    houses = list(BURST_HOUSES)
    rng.shuffle(houses)
    for k in range(calls):
        moment = start + dt.timedelta(minutes=25 + rng.expovariate(1 / 60))
        number += 1
        card = call_card(rng, moment, houses[k % len(houses)], "ТЕПЛОСНАБЖЕНИЕ", number)
        card["description"] = CALL_TEXTS[k % len(CALL_TEXTS)]
        steps.append(Step(moment, (Item(moment, CALL112, card),), note="вызов 112: нет отопления"))
        work = moment + dt.timedelta(minutes=rng.uniform(8, 25))
        steps.append(Step(work, (Item(work, CALL112, card_update(card, work, "В_РАБОТЕ")),)))
        done = low_until + dt.timedelta(minutes=rng.uniform(60, 120))
        steps.append(Step(done, (Item(done, CALL112, card_update(card, done, "ЗАКРЫТА")),)))

    # Residents: most within the first six hours, some through the night and the next morning.
    names, weights = zip(*CHANNELS, strict=True)
    for k in range(messages):
        moment = start + dt.timedelta(minutes=30 + min(rng.expovariate(1 / 240), repair_hours * 60 - 45))
        place = rng.choice(BURST_HOUSES)
        d = 25 / 111_200
        text = rng.choice(TEXTS).format(house=place.short)
        msg = Message(
            moment, rng.choices(names, weights)[0], text, place,
            round(place.lat + rng.uniform(-d, d), 6), round(place.lon + rng.uniform(-d, d) * 1.7, 6),
            f"burst-{seed}-{start:%Y%m%d%H%M}-{k:03d}",
        )  # fmt: skip
        steps.append(Step(moment, messages=(msg,)))

    # The housing inspection: a case opened on residents' complaints, checked, closed the next day.
    opened = start + dt.timedelta(hours=8)
    house = next(p for p in BURST_HOUSES if p.house == "48")
    case = {
        "case": {"number": f"ГЖИ-40-{opened:%Y}-{9000 + seed:06d}", "revision": 1, "opened": iso(opened), "closed": None,
                 "status": "открыто", "inspection": "по обращению граждан"},
        "violation": {"code": "ТЕПЛО", "text": "Отсутствие отопления в многоквартирном доме", "order": None},
        "object": {"address": house.address, "oktmo": "29701000", "geo": {"lat": house.lat, "lon": house.lon}, "manager": "УК «Жилкомфорт»"},
    }  # fmt: skip
    steps.append(Step(opened, (Item(opened, HOUSING, case),), note="ГЖИ: открыто дело"))
    closed = low_until + dt.timedelta(hours=20)
    final = {
        "case": dict(case["case"], revision=2, status="закрыто", closed=iso(closed)),
        "violation": dict(case["violation"], order="Теплоснабжение восстановлено, температура в квартирах в норме"),
        "object": case["object"],
    }
    steps.append(Step(closed, (Item(closed, HOUSING, final),), note="ГЖИ: дело закрыто"))

    burst.steps = sorted(steps, key=lambda s: s.at)
    return burst


def sensor_place() -> dict[str, Any]:
    return {"device": BURST_SENSOR, "address": BURST_SENSOR_PLACE.address, "network": BURST_NETWORK}
