"""Places of Kaluga the simulators report from: real street names of the demo's street list
(tsur/demo/data/streets.json), house numbers and points placed by hand along those streets. The
points are approximate (good to a block or two, enough for matching within hundreds of metres);
they are the project's own, not taken from a map database.

The heating-main burst happens in the blocks around ul. Proletarskaya, ul. Marshala Zhukova and
ul. Kubyaka (Московский округ), fed by heat chamber ТК-17 of main М-3."""

from __future__ import annotations

from dataclasses import dataclass

CITY = "Калуга"


@dataclass(frozen=True, slots=True)
class Place:
    street: str  # «ул. Кирова»
    house: str
    lat: float
    lon: float

    @property
    def address(self) -> str:
        return f"{CITY}, {self.street}, {self.house}"

    @property
    def short(self) -> str:
        return f"{self.street}, {self.house}"


# Houses over the whole city: cameras watch container sites and roads here, 112 calls and
# inspection cases come from here.
CITY_PLACES: tuple[Place, ...] = (
    Place("ул. Кирова", "21", 54.5139, 36.2612),
    Place("ул. Кирова", "44", 54.5162, 36.2668),
    Place("ул. Ленина", "74", 54.5108, 36.2531),
    Place("ул. Ленина", "101", 54.5131, 36.2489),
    Place("ул. Гагарина", "4", 54.5154, 36.2528),
    Place("ул. Суворова", "121", 54.5213, 36.2633),
    Place("ул. Степана Разина", "47", 54.5071, 36.2563),
    Place("ул. Тульская", "102", 54.5182, 36.2786),
    Place("ул. Луначарского", "39", 54.5179, 36.2602),
    Place("ул. Никитина", "117", 54.5268, 36.2598),
    Place("ул. Чижевского", "9", 54.5278, 36.2781),
    Place("ул. Московская", "245", 54.5367, 36.2305),
    Place("ул. Генерала Попова", "22", 54.5418, 36.2233),
    Place("ул. Телевизионная", "16", 54.5391, 36.2131),
    Place("ул. Тарутинская", "169", 54.4989, 36.2478),
    Place("ул. Азаровская", "18", 54.4946, 36.2313),
    Place("ул. Билибина", "20", 54.5546, 36.3062),
    Place("ул. Моторная", "5", 54.5442, 36.2851),
    Place("ул. Платова", "7", 54.5287, 36.2707),
    Place("ул. Карла Маркса", "4", 54.5087, 36.2612),
    Place("ул. Плеханова", "45", 54.5167, 36.2431),
    Place("ул. Вилонова", "19", 54.5138, 36.2698),
    Place("ул. Болдина", "67", 54.5236, 36.2156),
    Place("ул. Хрустальная", "54", 54.5489, 36.2906),
)

# Sensors of the city's networks reporting in the everyday streams: heating chambers, water
# pumping stations, air posts. (device, metric, place of the device, network)
CITY_SENSORS: tuple[tuple[str, str, Place, str], ...] = (
    ("TS-KLG-004", "P_SUPPLY", Place("ТК-4, ул. Суворова", "121", 54.5208, 36.2640), "магистраль М-1"),
    ("TS-KLG-004", "T_SUPPLY", Place("ТК-4, ул. Суворова", "121", 54.5208, 36.2640), "магистраль М-1"),
    ("TS-KLG-033", "P_SUPPLY", Place("ТК-33, ул. Тарутинская", "169", 54.4994, 36.2470), "магистраль М-5"),
    ("WS-KLG-002", "P_WATER", Place("ВНС-2, ул. Никитина", "117", 54.5262, 36.2589), "водопровод, зона 2"),
    ("WS-KLG-002", "TURBIDITY", Place("ВНС-2, ул. Никитина", "117", 54.5262, 36.2589), "водопровод, зона 2"),
    ("WS-KLG-006", "P_WATER", Place("ВНС-6, ул. Билибина", "20", 54.5541, 36.3055), "водопровод, зона 6"),
    ("AQ-KLG-01", "PM25", Place("пост наблюдения, ул. Ленина", "74", 54.5110, 36.2527), "пост контроля воздуха"),
    ("AQ-KLG-03", "PM25", Place("пост наблюдения, ул. Моторная", "5", 54.5446, 36.2844), "пост контроля воздуха"),
)

# The burst's blocks: apartment houses fed from ТК-17 (their residents write; 112 calls come from here).
BURST_DISTRICT = "кварталы у ул. Пролетарской и ул. Маршала Жукова"
BURST_HOUSES: tuple[Place, ...] = (
    Place("ул. Пролетарская", "40", 54.5318, 36.2391),
    Place("ул. Пролетарская", "42", 54.5315, 36.2384),
    Place("ул. Пролетарская", "44", 54.5312, 36.2378),
    Place("ул. Пролетарская", "46", 54.5309, 36.2371),
    Place("ул. Пролетарская", "48", 54.5321, 36.2375),
    Place("ул. Пролетарская", "50", 54.5305, 36.2364),
    Place("ул. Пролетарская", "52", 54.5302, 36.2357),
    Place("ул. Маршала Жукова", "9", 54.5296, 36.2372),
    Place("ул. Маршала Жукова", "11", 54.5292, 36.2360),
    Place("ул. Маршала Жукова", "13", 54.5288, 36.2349),
    Place("ул. Маршала Жукова", "15", 54.5284, 36.2338),
    Place("ул. Кубяка", "2", 54.5327, 36.2402),
    Place("ул. Кубяка", "4", 54.5331, 36.2393),
    Place("ул. Кубяка", "6", 54.5335, 36.2384),
    Place("ул. Малоярославецкая", "3", 54.5299, 36.2398),
    Place("ул. Малоярославецкая", "5", 54.5295, 36.2390),
)
BURST_NETWORK = "магистраль М-3"
# The chambers of main М-3 report only in the burst: a sensor's readings must come in their own
# time order, so an everyday stream's newer readings would make a replayed burst's readings late.
BURST_SENSORS: tuple[tuple[str, str, Place, str], ...] = (
    ("TS-KLG-017", "P_SUPPLY", Place("ТК-17, ул. Пролетарская", "48", 54.5301, 36.2406), BURST_NETWORK),
    ("TS-KLG-017", "T_SUPPLY", Place("ТК-17, ул. Пролетарская", "48", 54.5301, 36.2406), BURST_NETWORK),
    ("TS-KLG-021", "P_SUPPLY", Place("ТК-21, ул. Маршала Жукова", "13", 54.5289, 36.2347), BURST_NETWORK),
    ("TS-KLG-021", "T_SUPPLY", Place("ТК-21, ул. Маршала Жукова", "13", 54.5289, 36.2347), BURST_NETWORK),
)
BURST_SENSOR = "TS-KLG-017"
BURST_SENSOR_PLACE = BURST_SENSORS[0][2]
