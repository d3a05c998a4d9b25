"""2. Taxonomy: the sector blocks and the categories, one per Kursk rubricator topic (codes and flags
are the project's judgment calls), plus the categories the project adds."""

from __future__ import annotations

from pathlib import Path

from .common import read_csv

BLOCKS = [
    ("health", "Здравоохранение"),
    ("education", "Образование"),
    ("social", "Социальная защита"),
    ("housing", "ЖКХ"),
    ("waste", "ТКО"),
    ("roads", "Дороги"),
    ("transport", "Транспорт"),
    ("energy", "Энергетика"),
    ("services", "Госуслуги.МФЦ.Связь"),
    ("ecology", "Экология"),
    ("other", "Прочее"),
]

# Per Kursk rubricator topic: (code, default urgency "high"?, municipal competence?).
# Keyed by the topic text with whitespace collapsed; the category name keeps the source text
# as is (only trimmed), so imported Kursk rows still match by name.
#
# Urgency "high": the urgent matters PRODUCT.md names (snow and ice on roads and yards, waste
# collection, heating, water supply and sewerage, electricity outages, danger to life: open
# manholes, hazardous trees). Municipal competence: matters of local significance (131-ФЗ) —
# yards, благоустройство, local roads and sidewalks, street lighting, parks, stray animals,
# municipal transport routes, municipal schools' and kindergartens' premises and places, heat and
# water supply — as opposed to regional/federal ones (health, social payments, education
# supervision, MFC, telecom, post, the power grid, capital repair fund, construction supervision,
# utility tariffs, regional roads, intercity and rail transport, environmental supervision).
H, N = True, False  # high urgency / normal
M, R = True, False  # municipal / regional-federal
CATEGORY_META = {
    # housing
    "«Замороженная» стройка": ("housing-frozen-construction", N, R),
    "Аварийное жильё": ("housing-unsafe-housing", N, M),
    "Аварийные деревья": ("housing-hazardous-trees", H, M),
    "Безнадзорные животные": ("housing-stray-animals", N, M),
    "Водоотведение": ("housing-sewerage", H, M),
    "Длительное неисполнение заявок управляющей компанией": ("housing-mc-requests-ignored", N, M),
    "Загрязнение территории прилегающей к строительному объекту": ("housing-construction-site-dirt", N, M),
    "Ливневая канализация": ("housing-storm-drains", N, M),
    "Нарушение строительных норм": ("housing-building-code-violation", N, R),
    "Нарушение теплоснабжения многоквартирного дома": ("housing-heating-mkd", H, M),
    "Нарушения в вопросах оплаты коммунальных услуг": ("housing-utility-bills", N, R),
    "Нарушения в вопросах оплаты коммунальных услуг в микрорайонах ИЖС": ("housing-utility-bills-izhs", N, R),
    "Нарушения в вопросах оплаты услуг ЖКХ": ("housing-hcs-bills", N, R),
    "Незавершенное благоустройство после сдачи строительного объекта в эксплуатацию": ("housing-new-build-landscaping", N, M),
    "Незаконная наружная реклама": ("housing-illegal-advertising", N, M),
    "Неисправный лифт в многоквартирном доме": ("housing-elevator-broken", N, M),
    "Некачественная уборка дворовой территории многоквартирных домов": ("housing-yard-cleaning", N, M),
    "Некачественное водоснабжение в микрорайонах ИЖС": ("housing-water-supply-izhs", H, M),
    "Некачественное водоснабжение в районе частного сектора": ("housing-water-supply-private", H, M),
    "Некачественное водоснабжение многоквартирного дома": ("housing-water-supply-mkd", H, M),
    "Некачественный капитальный ремонт многоквартирного дома": ("housing-capital-repair", N, R),
    ("Ненадлежащее исполнение управляющей компанией работ по уборке "
     "и освещению мест общего пользования в многоквартирном доме"): ("housing-mc-common-areas", N, M),
    "Необходимо строительство детской (спортивной) площадки в микрорайоне ИЖС": ("housing-playground-needed-izhs", N, M),
    "Необходимо строительство тротуара": ("housing-sidewalk-needed", N, M),
    "Необходимо строительство тротуара в микрорайоне ИЖС": ("housing-sidewalk-needed-izhs", N, M),
    "Неработающее наружное освещение": ("housing-street-lighting-out", N, M),
    "Несвоевременная очистка дворовой территории многоквартирных домов от наледи и снега": ("housing-yard-snow-ice", H, M),
    "Несвоевременное (некачественное) строительство инженерных сетей в микрорайонах ИЖС": ("housing-izhs-utility-networks", N, M),
    "Несвоевременное восстановление нарушенного благоустройства после проведения ремонтных работ": ("housing-restore-after-works", N, M),
    "Несвоевременный (некачественный) текущий ремонт многоквартирного дома": ("housing-mkd-current-repair", N, M),
    "Нескошенная сорная растительность в местах общего пользования в микрорайонах ИЖС": ("housing-weeds-izhs", N, M),
    "Нескошенная сорная растительность в местах общего пользования в районах частного сектра": ("housing-weeds-private", N, M),
    "Неудовлетворительная работа диспетчерской службы управляющей компании": ("housing-mc-dispatch", N, M),
    "Неудовлетворительная уборка и освещение мест общего пользования в многоквартирном доме": ("housing-common-areas", N, M),
    "Неудовлетворительная уборка улиц и тротуаров": ("housing-street-cleaning", N, M),
    "Неудовлетворительное содержание детской (спортивной) площадки в микрорайоне ИЖС": ("housing-playground-izhs", N, M),
    "Неудовлетворительное содержание детской (спортивной) площадки в районе частного сектора": ("housing-playground-private", N, M),
    "Неудовлетворительное содержание детской (спортивной) площадки на территории многоквартирных домов": ("housing-playground-mkd", N, M),
    "Неудовлетворительное содержание клумб и газонов": ("housing-flowerbeds-lawns", N, M),
    "Неудовлетворительное содержание парков и скверов": ("housing-parks-squares", N, M),
    "Неудовлетворительное содержание фасадов зданий и сооружений, общественных мест": ("housing-facades", N, M),
    "Неэтичное поведение руководства и работников управляющей компании": ("housing-mc-staff-conduct", N, M),
    "Отсутствие люков на коммуникационных колодцах": ("housing-open-manholes", H, M),
    "Отсутствует (нарушено) ограждение строительного объекта": ("housing-construction-fence", N, R),
    "Отсутствует (неактуален) паспорт строительного объекта": ("housing-construction-passport", N, R),
    "Сломанные малые архитектурные формы в районах многоквартирных домов": ("housing-street-furniture-broken", N, M),
    "Ямы и выбоины на внутридворовых проездах и тротуарах в районах многоквартирных домов": ("housing-yard-potholes", N, M),
    "Ямы и выбоины на тротуарах": ("housing-sidewalk-potholes", N, M),
    # roads: «в границах городских округов и сельских поселений» and «в микрорайонах ИЖС» are
    # local roads (municipal); «регионального и межмуниципального значения» are regional.
    "Безопасная дорога в школу на дорогах в границах городских округов и сельских поселений": ("roads-safe-route-to-school", N, M),
    "Дорожная разметка на дорогах в границах городских округов и сельских поселений": ("roads-markings-local", N, M),
    "Дорожные знаки на дорогах в границах городских округов и сельских поселений": ("roads-signs-local", N, M),
    "Дорожные знаки на дорогах в микрорайонах ИЖС": ("roads-signs-izhs", N, M),
    "Дорожные знаки на дорогах регионального и межмуниципального значения": ("roads-signs-regional", N, R),
    "Искусственные неровности на дорогах в границах городских округов и сельских поселений": ("roads-speed-bumps-local", N, M),
    "Искусственные неровности на дорогах регионального и межмуниципального значения": ("roads-speed-bumps-regional", N, R),
    "Нарушение дорожного покрытия (ямы) на дорогах в границах городских округов и сельских поселений": ("roads-potholes-local", N, M),
    "Нарушение дорожного покрытия (ямы) на дорогах в микрорайонах ИЖС": ("roads-potholes-izhs", N, M),
    "Нарушение дорожного покрытия (ямы) на дорогах регионального и межмуниципального значения": ("roads-potholes-regional", N, R),
    "Освещение дорог в микрорайонах ИЖС": ("roads-lighting-izhs", N, M),
    "Освещение дорог в границах городских округов и сельских поселений": ("roads-lighting-local", N, M),
    "Освещение дорог регионального и межмуниципального значения": ("roads-lighting-regional", N, R),
    "Остановки общественного транспорта на дорогах в границах городских округов и сельских поселений": ("roads-bus-stops-local", N, M),
    "Остановки общественного транспорта на дорогах регионального и межмуниципального значения": ("roads-bus-stops-regional", N, R),
    "Отсутствие твёрдого дорожного покрытия на дорогах в границах городских округов и сельских поселений": ("roads-unpaved-local", N, M),
    "Отсутствие твёрдого дорожного покрытия на дорогах в микрорайонах ИЖС": ("roads-unpaved-izhs", N, M),
    "Очистка от снега и наледи дорог в границах городских округов и сельских поселений": ("roads-snow-ice-local", H, M),
    "Очистка от снега и наледи дорог регионального и межмуниципального значения": ("roads-snow-ice-regional", H, R),
    "Парковки на дорогах в границах городских округов и сельских поселений": ("roads-parking-local", N, M),
    "Пешеходные переходы на дорогах в границах городских округов и сельских поселений": ("roads-crossings-local", N, M),
    "Пешеходные переходы на дорогах в микрорайонах ИЖС": ("roads-crossings-izhs", N, M),
    "Пешеходные переходы на дорогах регионального и межмуниципального значения": ("roads-crossings-regional", N, R),
    "Светофоры на дорогах в границах городских округов и сельских поселений": ("roads-traffic-lights-local", N, M),
    "Светофоры на дорогах регионального и межмуниципального значения": ("roads-traffic-lights-regional", N, R),
    # transport: municipal (suburban) routes are local; intercity (within the region) and rail are not.
    "Нарушение графика движения при осуществлении внутриобластных междугородных перевозок": ("transport-schedule-breach-intercity", N, R),
    "Нарушение графика движения при осуществлении муниципальных (пригородных) перевозок": ("transport-schedule-breach-municipal", N, M),
    "Нарушение правил посадки и высадки пассажиров при осуществлении внутриобластных междугородных перевозок": ("transport-boarding-intercity", N, R),
    "Нарушение правил посадки и высадки пассажиров при осуществлении муниципальных (пригородных) перевозок": ("transport-boarding-municipal", N, M),
    "Нарушения, связанные с оплатой проезда при осуществлении внутриобластных междугородных перевозок": ("transport-fares-intercity", N, R),
    "Нарушения, связанные с оплатой проезда при осуществлении муниципальных (пригородных) перевозок": ("transport-fares-municipal", N, M),
    "Недостаточное количество вагонов": ("transport-rail-too-few-cars", N, R),
    ("Недостаточное количество транспорта на маршруте "
     "при осуществлении внутриобластных междугородных перевозок"): ("transport-too-few-vehicles-intercity", N, R),
    ("Недостаточное количество транспорта на маршруте "
     "при осуществлении муниципальных (пригородных) перевозок"): ("transport-too-few-vehicles-municipal", N, M),
    "Необходимо назначение дополнительных поездов": ("transport-rail-extra-trains", N, R),
    "Неудобный график движения при осуществлении внутриобластных междугородных перевозок": ("transport-schedule-inconvenient-intercity", N, R),
    "Неудобный график движения при осуществлении муниципальных (пригородных) перевозок": ("transport-schedule-inconvenient-municipal", N, M),
    "Неудобный график движения пригородного ж/д транспорта": ("transport-rail-schedule-inconvenient", N, R),
    "Неудовлетворительное санитарное или техническое состояние вагонов": ("transport-rail-cars-condition", N, R),
    ("Неудовлетворительное санитарное состояние транспорта "
     "при осуществлении муниципальных (пригородных) перевозок"): ("transport-vehicle-sanitary-municipal", N, M),
    ("Неудовлетворительное санитарное состояние транспорта "
     "при осуществлении внутриобластных междугородных перевозок"): ("transport-vehicle-sanitary-intercity", N, R),
    ("Неудовлетворительный внешний вид (поведение) водителя "
     "при осуществлении внутриобластных междугородных перевозок"): ("transport-driver-conduct-intercity", N, R),
    ("Неудовлетворительный внешний вид (поведение) водителя "
     "при осуществлении муниципальных (пригородных) перевозок"): ("transport-driver-conduct-municipal", N, M),
    "Тарификация ж/д перевозок": ("transport-rail-fares", N, R),
    # health (regional)
    "Вакцинация от COVID-19": ("health-covid-vaccination", N, R),
    "Дневник самонаблюдения": ("health-covid-self-monitoring", N, R),
    "Нарушения в вопросах установления инвалидности, обеспечения средствами реабилитации": ("health-disability-rehab-means", N, R),
    "Нарушения связанные с записью на прием, работой электронной регистратуры": ("health-appointments", N, R),
    "Нарушения связанные с обеспечением лекарственными средствами": ("health-medicines", N, R),
    "Нарушения, связанные с обеспечением детским питанием": ("health-baby-food", N, R),
    "Недостаточное обеспечение кадрами учреждений здравоохранения": ("health-staff-shortage", N, R),
    "Неудовлетворительное качество оказания медицинской помощи": ("health-care-quality", N, R),
    "Неудовлетворительное материально-техническое состояние учреждений здравоохранения": ("health-facilities-condition", N, R),
    "Отказ в вакцинации": ("health-vaccination-refused", N, R),
    "ПЦР-тест, тест на антитела": ("health-covid-tests", N, R),
    "Проблемы с записью на вакцинацию": ("health-vaccination-booking", N, R),
    "Сертификат вакцинированного": ("health-covid-vaccination-certificate", N, R),
    "Сертификат переболевшего": ("health-covid-recovery-certificate", N, R),
    "Я хочу задать вопрос о вакцинации": ("health-vaccination-question", N, R),
    # education: municipal schools' and kindergartens' places, premises and grounds are local
    # matters; the quality of teaching is under regional education supervision.
    "Наличие очереди на места в дошкольные учреждения": ("education-kindergarten-queue", N, M),
    "Неудовлетворительное качество работы воспитателей и другого персонала": ("education-kindergarten-staff", N, R),
    ("Неудовлетворительное качество работы преподавателей и "
     "другого персонала учреждения дополнительного образования"): ("education-extracurricular-staff", N, R),
    "Неудовлетворительное качество работы учителей и другого персонала": ("education-school-staff", N, R),
    "Неудовлетворительное материально-техническое обеспечение дошкольного учреждения": ("education-kindergarten-equipment", N, M),
    "Неудовлетворительное материально-техническое обеспечение школы": ("education-school-equipment", N, M),
    "Неудовлетворительное состояние прилегающей территории дошкольного учреждения": ("education-kindergarten-grounds", N, M),
    "Неудовлетворительное состояние прилегающий территории школы": ("education-school-grounds", N, M),
    "Отсутствие школы в микрорайоне (сельской территории)": ("education-no-school-nearby", N, M),
    "Посменное обучение": ("education-shift-schooling", N, M),
    # social (regional / federal)
    "Вопросы оказания помощи беженцам": ("social-refugees", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере медицины": ("social-covid-support-medicine", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере образования": ("social-covid-support-education", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере торговли": ("social-covid-support-trade", N, R),
    "Меры поддержки в условиях неблагоприятной эпидемиологической ситуации среднему и малому бизнесу": ("social-covid-support-business", N, R),
    "Нарушения в вопросах назначения и выплат пособий и компенсаций": ("social-benefits-payments", N, R),
    "Нарушения порядка обеспечения жильем льготных категорий граждан": ("social-housing-for-entitled", N, R),
    "Нарушения порядка предоставления мер социальной поддержки, в т.ч. адресной помощи": ("social-support-measures", N, R),
    "Нарушения порядка присвоение звания «Ветеран труда»": ("social-labour-veteran-title", N, R),
    "Некачественное предоставление государственных услуг службой занятости населения": ("social-employment-service", N, R),
    "Неоформленные трудовые отношения": ("social-informal-employment", N, R),
    "Несвоевременная выплата заработной платы": ("social-wage-arrears", N, R),
    "Социальные льготы": ("social-privileges", N, R),
    # waste: collection is the regional operator's; clearing illegal dumps is the landowner's,
    # mostly the municipality's.
    "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов в районах многоквартирных домов": ("waste-collection-mkd", H, R),
    "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов с территории ИЖС": ("waste-collection-izhs", H, R),
    "Не соответствующий установленным нормам сбор и вывоз твёрдых бытовых отходов с территории частного сектора": ("waste-collection-private", H, R),
    "Несанкционированные свалки твёрдых бытовых отходов": ("waste-illegal-dumps", N, M),
    # energy (the grid company; management companies for in-house networks)
    "Нарушения, связанные с содержанием электросети и качеством энергоснабжения в микрорайонах ИЖС": ("energy-power-izhs", H, R),
    "Нарушения, связанные с содержанием электросети и качеством энергоснабжения в многоквартирных домах": ("energy-power-mkd", H, R),
    "Нарушения, связанные с содержанием электросети и качеством энергоснабжения в районе частного сектора": ("energy-power-private", H, R),
    ("Ненадлежащее исполнение управляющей компанией работ по содержанию "
     "электросети и обеспечению энергоснабжением в многоквартирных домах"): ("energy-mc-in-house-grid", N, R),
    # services
    "Вопросы предоставления государственных и муниципальных услуг": ("services-public-services", N, R),
    "Некачественное предоставление услуг почтовой связи": ("services-post", N, R),
    "Некачественное предоставление услуг сотовой связи": ("services-mobile", N, R),
    "Отсутствие услуги доступа в сеть Интернет": ("services-no-internet", N, R),
    "Ошибка отображения данных об услугах, организациях, ведомствах на Портале госуслуг": ("services-gosuslugi-data-error", N, R),
    # ecology
    "Загрязнение водных объектов": ("ecology-water-pollution", N, R),
    "Нарушение правил пожарной безопасности в сфере природопользования": ("ecology-fire-safety", N, R),
    "Неприятные запахи": ("ecology-odours", N, R),
    "Несанкционированная вырубка зелёных насаждений в лесопарковых зонах": ("ecology-felling-forest-parks", N, M),
    "Несанкционированная вырубка зелёных насаждений в населённых пунктах": ("ecology-felling-settlements", N, M),
    "Несанкционированный сброс жидких бытовых отходов": ("ecology-liquid-waste-dumping", N, R),
    "Порча земель": ("ecology-land-damage", N, R),
    # other (culture, sport, trade, test)
    "Нарушение сроков реализации товара, оказания услуг": ("other-consumer-deadlines", N, R),
    "Несанкционированная торговля": ("other-illegal-street-trade", N, M),
    "Неудовлетворительное качество товара, оказания услуги": ("other-consumer-quality", N, R),
    "Неудовлетворительное санитарное состояние и благоустройство памятников": ("other-monuments", N, M),
    "Неудовлетворительное содержание спортивных площадок (сооружений)": ("other-sports-grounds", N, M),
    "Неудовлетворительное состояние прилегающей территории торгового учреждения": ("other-shop-surroundings", N, M),
    "Низкое качество проведения культурно-массовых мероприятий": ("other-cultural-events", N, R),
    "Низкое качество проведения спортивных мероприятий": ("other-sports-events", N, R),
    "Низкое качество работы учреждений физической культуры и спорта": ("other-sports-institutions", N, R),
    "Плохое материально-техническое оснащение учреждений физической культуры и спорта": ("other-sports-equipment", N, R),
    "Тестовая категория": ("other-test", N, R),
}

# Topics kept for triage and for importing historical Kursk-style data, but not offered to
# residents: the platform's test rubric and the COVID-19-era rubrics.
NOT_PUBLIC = {
    "other-test",
    "health-covid-vaccination",
    "health-covid-self-monitoring",
    "health-covid-tests",
    "health-covid-vaccination-certificate",
    "health-covid-recovery-certificate",
    "social-covid-support-medicine",
    "social-covid-support-education",
    "social-covid-support-trade",
    "social-covid-support-business",
}

# Categories the project adds to the rubricator (clearly not from the Kursk data):
# a catch-all for `other`, and gas supply (the rubricator has no gas topic, while the energy
# block covers gas and the region has a gas distribution company to route to).
EXTRA_CATEGORIES = [
    {"code": "other-misc", "block": "other", "name": "Иное", "default_urgency": "normal",
     "default_regime": "", "municipal_competence": False, "is_public": True},
    {"code": "energy-gas-supply", "block": "energy", "name": "Нарушения газоснабжения",
     "default_urgency": "high", "default_regime": "", "municipal_competence": False, "is_public": True},
]


def _norm_topic(text: str) -> str:
    return " ".join(text.split())


def build_taxonomy(topic_blocks_csv: Path):
    rows = read_csv(topic_blocks_csv)
    block_keys = {k for k, _ in BLOCKS}
    categories = []
    used = set()
    for row in rows:
        topic = row["topic"].strip()
        key = _norm_topic(topic)
        if key not in CATEGORY_META:
            raise KeyError(f"no category code for topic {topic!r}")
        code, high, municipal = CATEGORY_META[key]
        if row["block"] not in block_keys:
            raise KeyError(f"unknown block {row['block']!r}")
        if not code.startswith(row["block"] + "-"):
            raise ValueError(f"code {code} does not match block {row['block']}")
        used.add(key)
        categories.append(
            {
                "code": code,
                "block": row["block"],
                "name": topic,
                "default_urgency": "high" if high else "normal",
                "default_regime": "",
                "municipal_competence": municipal,
                "is_public": code not in NOT_PUBLIC,
            }
        )
    unused = set(CATEGORY_META) - used
    if unused:
        raise KeyError(f"category codes for topics not in the source: {sorted(unused)}")
    categories.extend(EXTRA_CATEGORIES)
    order = {k: i for i, (k, _) in enumerate(BLOCKS)}
    categories.sort(key=lambda c: (order[c["block"]], c["code"]))
    blocks = [{"key": k, "name": n, "order": i + 1} for i, (k, n) in enumerate(BLOCKS)]
    return {"blocks": blocks, "categories": categories}
