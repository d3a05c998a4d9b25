"""4. Routing: the territorial queues and the routing rules (category or block, territory, organisation)."""

from __future__ import annotations

from .territories import REGION_CODE

QUEUES = [{"code": "kaluga-city", "name": "Город Калуга", "territory": "kaluga", "categories": []}]

# (category, block, territory, organisation, note). Intended precedence (for the routing
# engine): a rule naming a category beats one naming only a block; among those, the narrower
# territory wins (a district beats the region); `priority` is null everywhere — it is there for
# explicit overrides. Uncovered on purpose (they fall back to the center's triage queue):
# most of `other` (street trade, shop surroundings, «Иное», the test rubric) and благоустройство /
# yards / local roads in the districts without a configured administration.
_KALUGA_BLAGOUSTROYSTVO = [
    "housing-hazardous-trees", "housing-stray-animals", "housing-parks-squares", "housing-flowerbeds-lawns",
    "housing-street-lighting-out", "housing-street-cleaning", "housing-sidewalk-potholes", "housing-sidewalk-needed",
    "housing-storm-drains", "housing-illegal-advertising", "housing-restore-after-works", "housing-open-manholes",
]
_REGIONAL_ROADS = [
    "roads-potholes-regional", "roads-snow-ice-regional", "roads-signs-regional", "roads-speed-bumps-regional",
    "roads-lighting-regional", "roads-bus-stops-regional", "roads-crossings-regional", "roads-traffic-lights-regional",
]
_MC_TOPICS = [
    "housing-mc-requests-ignored", "housing-mc-dispatch", "housing-mc-staff-conduct", "housing-mc-common-areas",
    "housing-common-areas", "housing-mkd-current-repair", "housing-elevator-broken", "housing-utility-bills",
    "housing-utility-bills-izhs", "housing-hcs-bills", "energy-mc-in-house-grid",
]
_DISTRICT_ADMINS = {
    "borovskiy-rayon": "borovsk-admin",
    "maloyaroslavetskiy-rayon": "maloyaroslavets-admin",
    "lyudinovskiy-rayon": "lyudinovo-admin",
    "kozelskiy-rayon": "kozelsk-admin",
    "obninsk": "obninsk-admin",
}


def build_routing():
    rules = []

    def rule(category, block, terr, org, note):
        rules.append({"category": category, "block": block, "territory": terr, "organisation": org,
                      "priority": None, "note": note})

    # Sector blocks, region-wide.
    rule(None, "health", REGION_CODE, "minzdrav", "Здравоохранение — министерство здравоохранения")
    rule(None, "education", REGION_CODE, "minobr", "Образование — министерство образования и науки")
    rule(None, "social", REGION_CODE, "mintrud", "Социальная защита — министерство труда и соцзащиты")
    rule(None, "roads", REGION_CODE, "mindor", "Дороги — министерство дорожного хозяйства")
    rule(None, "transport", REGION_CODE, "mintrans", "Транспорт — министерство транспорта")
    rule(None, "energy", REGION_CODE, "kalugaenergo", "Энергетика — сетевая компания")
    rule(None, "services", REGION_CODE, "mincifry", "Госуслуги и связь — министерство цифрового развития")
    rule(None, "ecology", REGION_CODE, "minprirody", "Экология — министерство природных ресурсов и экологии")
    # Categories, region-wide.
    for c in ("waste-collection-mkd", "waste-collection-izhs", "waste-collection-private"):
        rule(c, None, REGION_CODE, "kreo", "Вывоз ТКО — региональный оператор")
    rule("waste-illegal-dumps", None, REGION_CODE, "minprirody", "Свалки — министерство природных ресурсов и экологии")
    for c in ("housing-water-supply-mkd", "housing-water-supply-private", "housing-water-supply-izhs", "housing-sewerage"):
        rule(c, None, REGION_CODE, "oblvodokanal", "Водоснабжение и водоотведение — водоканал")
    rule("housing-heating-mkd", None, REGION_CODE, "minstroy", "Теплоснабжение — министерство строительства и ЖКХ")
    rule("housing-unsafe-housing", None, REGION_CODE, "minstroy", "Аварийное жильё — министерство строительства и ЖКХ")
    rule("housing-capital-repair", None, REGION_CODE, "fond-kapremonta", "Капитальный ремонт — региональный фонд")
    for c in ("housing-building-code-violation", "housing-frozen-construction", "housing-construction-fence",
              "housing-construction-passport"):
        rule(c, None, REGION_CODE, "stroynadzor", "Строительство — госстройнадзор")
    for c in _MC_TOPICS:
        rule(c, None, REGION_CODE, "gzhi", "Управляющие компании и плата за ЖКУ — жилищная инспекция")
    for c in ("energy-power-mkd", "energy-power-private", "energy-power-izhs"):
        rule(c, None, REGION_CODE, "kalugaenergo", "Электроснабжение — сетевая компания")
    rule("energy-gas-supply", None, REGION_CODE, "gazoraspredelenie", "Газоснабжение — газораспределительная организация")
    rule("services-public-services", None, REGION_CODE, "mfc", "Государственные услуги — МФЦ")
    rule("services-post", None, REGION_CODE, "pochta", "Почтовая связь — УФПС")
    for c in _REGIONAL_ROADS:
        rule(c, None, REGION_CODE, "kalugadorzakazchik", "Региональные дороги — ГКУ «Калугадорзаказчик»")
    for c in ("social-wage-arrears", "social-informal-employment"):
        rule(c, None, REGION_CODE, "git", "Трудовые права — трудовая инспекция")
    for c in ("other-consumer-deadlines", "other-consumer-quality"):
        rule(c, None, REGION_CODE, "rospotrebnadzor", "Права потребителей — Роспотребнадзор")
    for c in ("other-cultural-events", "other-monuments"):
        rule(c, None, REGION_CODE, "minkult", "Культура и памятники — министерство культуры")
    for c in ("other-sports-grounds", "other-sports-events", "other-sports-institutions", "other-sports-equipment"):
        rule(c, None, REGION_CODE, "minsport", "Спорт — министерство спорта")
    # City of Kaluga: municipal matters go to the city's departments.
    rule(None, "housing", "kaluga", "kaluga-zhkh", "ЖКХ в Калуге — управление ЖКХ городской управы")
    for c in _KALUGA_BLAGOUSTROYSTVO:
        rule(c, None, "kaluga", "kaluga-ugh", "Благоустройство в Калуге — управление городского хозяйства")
    rule("housing-heating-mkd", None, "kaluga", "kaluga-zhkh", "Отопление в Калуге — управление ЖКХ городской управы")
    rule(None, "roads", "kaluga", "kaluga-ugh", "Местные дороги в Калуге — управление городского хозяйства")
    rule(None, "transport", "kaluga", "kaluga-ugh", "Городские маршруты Калуги — управление городского хозяйства")
    for c in ("transport-driver-conduct-municipal", "transport-vehicle-sanitary-municipal", "transport-fares-municipal"):
        rule(c, None, "kaluga", "kaluga-trolleybus", "Работа троллейбусов и водителей — перевозчик")
    rule("waste-illegal-dumps", None, "kaluga", "kaluga-ugh", "Свалки в Калуге — управление городского хозяйства")
    rule("ecology-felling-settlements", None, "kaluga", "kaluga-ugh", "Вырубка деревьев в Калуге — управление городского хозяйства")
    for c in ("education-kindergarten-queue", "education-kindergarten-equipment", "education-school-equipment",
              "education-kindergarten-grounds", "education-school-grounds", "education-shift-schooling"):
        rule(c, None, "kaluga", "kaluga-obrazovanie", "Муниципальные школы и детсады Калуги — управление образования")
    # Obninsk and the districts with a configured administration.
    for terr, org in _DISTRICT_ADMINS.items():
        rule(None, "housing", terr, org, "ЖКХ и благоустройство — администрация муниципалитета")
        rule(None, "roads", terr, org, "Местные дороги — администрация муниципалитета")
        rule("waste-illegal-dumps", None, terr, org, "Свалки — администрация муниципалитета")
    rule(None, "transport", "obninsk", "obninsk-admin", "Городские маршруты Обнинска — администрация города")
    return {"queues": QUEUES, "rules": rules}
