"""3. Organisations (a realistic demo configuration, not an authoritative register)."""

from __future__ import annotations

from .territories import REGION_CODE

REGION = [REGION_CODE]
# (code, full name, short name, kind, parent, territories, work_start, work_end, e-mail local part)
ORGANISATIONS = [
    ("tsur-center", "Центр управления регионом Калужской области", "ЦУР Калужской области",
     "center", None, REGION, None, None, "cur"),
    # Regional executive bodies
    ("minzdrav", "Министерство здравоохранения Калужской области", "Минздрав области",
     "regional", None, REGION, None, None, "minzdrav"),
    ("minobr", "Министерство образования и науки Калужской области", "Минобрнауки области",
     "regional", None, REGION, None, None, "minobr"),
    ("mintrud", "Министерство труда и социальной защиты Калужской области", "Минтруд области",
     "regional", None, REGION, None, None, "mintrud"),
    ("minstroy", "Министерство строительства и жилищно-коммунального хозяйства Калужской области", "Минстрой области",
     "regional", None, REGION, None, None, "minstroy"),
    ("mindor", "Министерство дорожного хозяйства Калужской области", "Миндор области",
     "regional", None, REGION, None, None, "mindor"),
    ("mintrans", "Министерство транспорта Калужской области", "Минтранс области",
     "regional", None, REGION, None, None, "mintrans"),
    ("minprirody", "Министерство природных ресурсов и экологии Калужской области", "Минприроды области",
     "regional", None, REGION, None, None, "minprirody"),
    ("mincifry", "Министерство цифрового развития Калужской области", "Минцифры области",
     "regional", None, REGION, None, None, "mincifry"),
    ("minkult", "Министерство культуры Калужской области", "Минкультуры области",
     "regional", None, REGION, None, None, "minkult"),
    ("minsport", "Министерство спорта Калужской области", "Минспорт области",
     "regional", None, REGION, None, None, "minsport"),
    ("gzhi", "Государственная жилищная инспекция Калужской области", "ГЖИ области",
     "regional", None, REGION, None, None, "gzhi"),
    ("stroynadzor", "Инспекция государственного строительного надзора Калужской области", "Госстройнадзор области",
     "regional", None, REGION, None, None, "stroynadzor"),
    # Regional institutions and enterprises
    ("mfc", "ГБУ Калужской области «Многофункциональный центр предоставления государственных и муниципальных услуг Калужской области»",
     "МФЦ Калужской области", "company", "mincifry", REGION, "08:00", "20:00", "mfc"),
    ("kalugadorzakazchik", "ГКУ Калужской области «Калугадорзаказчик»", "ГКУ «Калугадорзаказчик»",
     "company", "mindor", REGION, None, None, "dorzakazchik"),
    ("fond-kapremonta", "Фонд капитального ремонта многоквартирных домов Калужской области", "Фонд капремонта",
     "company", "minstroy", REGION, None, None, "kapremont"),
    ("oblvodokanal", "ГП Калужской области «Калугаоблводоканал»", "Калугаоблводоканал",
     "company", "minstroy", REGION, "08:00", "17:00", "vodokanal"),
    ("kreo", "ГП Калужской области «Калужский региональный экологический оператор»", "Региональный оператор по ТКО",
     "company", "minprirody", REGION, None, None, "kreo"),
    ("okb", "ГБУЗ Калужской области «Калужская областная клиническая больница»", "Областная больница",
     "company", "minzdrav", REGION, None, None, "okb"),
    ("kalugaenergo", "Филиал ПАО «Россети Центр и Приволжье» — «Калугаэнерго»", "Калугаэнерго",
     "company", None, REGION, None, None, "kalugaenergo"),
    ("gazoraspredelenie", "АО «Газпром газораспределение Калуга»", "Газораспределение Калуга",
     "company", None, REGION, None, None, "gaz"),
    # Territorial bodies of federal authorities and federal companies
    ("rospotrebnadzor", "Управление Роспотребнадзора по Калужской области", "Роспотребнадзор",
     "federal", None, REGION, None, None, "rpn"),
    ("git", "Государственная инспекция труда в Калужской области", "Трудовая инспекция",
     "federal", None, REGION, None, None, "git"),
    ("pochta", "УФПС Калужской области АО «Почта России»", "Почта России (Калужская обл.)",
     "company", None, REGION, None, None, "pochta"),
    # City of Kaluga
    ("kaluga-uprava", "Городская управа города Калуги", "Управа г. Калуги",
     "municipal", None, ["kaluga"], None, None, "uprava"),
    ("kaluga-zhkh", "Управление жилищно-коммунального хозяйства города Калуги", "УЖКХ г. Калуги",
     "municipal", "kaluga-uprava", ["kaluga"], None, None, "zhkh.kaluga"),
    ("kaluga-ugh", "Управление городского хозяйства города Калуги (дороги, благоустройство, транспорт)", "УГХ г. Калуги",
     "municipal", "kaluga-uprava", ["kaluga"], None, None, "ugh.kaluga"),
    ("kaluga-obrazovanie", "Управление образования города Калуги", "Управление образования г. Калуги",
     "municipal", "kaluga-uprava", ["kaluga"], None, None, "edu.kaluga"),
    ("kaluga-trolleybus", "МУП «Управление Калужского троллейбуса» МО «Город Калуга»", "Калужский троллейбус",
     "company", "kaluga-uprava", ["kaluga"], None, None, "trolleybus"),
    ("kaluga-uk-demo", "ООО «Управляющая компания «Жилсервис-Калуга»» (вымышленная)", "УК «Жилсервис-Калуга»",
     "company", None, ["kaluga"], None, None, "uk-zhilservis"),
    # Obninsk and the districts
    ("obninsk-admin", "Администрация города Обнинска", "Администрация г. Обнинска",
     "municipal", None, ["obninsk"], None, None, "admin.obninsk"),
    ("borovsk-admin", "Администрация муниципального района «Боровский район»", "Администрация Боровского района",
     "municipal", None, ["borovskiy-rayon"], None, None, "admin.borovsk"),
    ("maloyaroslavets-admin", "Администрация муниципального района «Малоярославецкий район»", "Администрация Малоярославецкого района",
     "municipal", None, ["maloyaroslavetskiy-rayon"], None, None, "admin.maloyaroslavets"),
    ("lyudinovo-admin", "Администрация муниципального района «Город Людиново и Людиновский район»", "Администрация Людиновского района",
     "municipal", None, ["lyudinovskiy-rayon"], None, None, "admin.lyudinovo"),
    ("kozelsk-admin", "Администрация муниципального района «Козельский район»", "Администрация Козельского района",
     "municipal", None, ["kozelskiy-rayon"], None, None, "admin.kozelsk"),
]
EMAIL_DOMAIN = "demo.tsur.example"  # reserved .example TLD: never a real mailbox


def build_organisations():
    out = []
    for code, name, short, kind, parent, terrs, start, end, mail in ORGANISATIONS:
        out.append(
            {
                "code": code,
                "name": name,
                "short_name": short,
                "kind": kind,
                "parent": parent,
                "territories": list(terrs),
                "work_start": start,
                "work_end": end,
                "email": f"{mail}@{EMAIL_DOMAIN}",
            }
        )
    return out
