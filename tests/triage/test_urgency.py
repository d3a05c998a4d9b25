"""Urgency rules: high with a short Russian reason for the urgent situations, normal otherwise
(synthetic texts)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from tsur.triage.engine.urgency import HIGH, NORMAL, assess, bench_urgency

WINTER = date(2025, 1, 15)
SUMMER = date(2025, 7, 10)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Третий день нет воды во всём доме", "нет водоснабжения"),
        ("Отключили горячую воду без предупреждения", "нет водоснабжения"),
        ("вода не идёт из крана с утра", "нет водоснабжения"),
        ("Во всём доме нет света с утра", "нет электроснабжения"),
        ("Нет электричества в деревне вторые сутки", "нет электроснабжения"),
        ("Отключили газ, не можем приготовить еду", "нет газоснабжения"),
        ("Открытый люк у школы, дети ходят рядом", "угроза жизни: открытый люк"),
        ("На тротуаре люк без крышки", "угроза жизни: открытый люк"),
        ("Оборваны провода у остановки", "угроза жизни: оборванные провода"),
        ("Провода лежат на земле после ветра", "угроза жизни: оборванные провода"),
        ("Упало дерево на дорогу", "угроза жизни: падение дерева"),
        ("Аварийное дерево может упасть на детскую площадку", "угроза жизни: падение дерева"),
        ("Пахнет газом в подъезде", "угроза жизни: запах газа"),
        ("Обрушился балкон третьего этажа", "угроза жизни: обрушение"),
        ("С фасада отваливается плитка прямо на тротуар", "угроза жизни: обрушение"),
        ("Горит мусорный контейнер во дворе", "угроза жизни: пожар или задымление"),
        ("Задымление в подвале, чем-то пахнет", "угроза жизни: пожар или задымление"),
        ("Дети играют на заброшенной стройке, это очень опасно", "угроза детям"),
        ("качели сломаны, дети могут упасть", "угроза детям"),
        ("Подвал затопило канализацией, запах по всему дому", "затопление канализационными стоками"),
        ("Канализация течёт прямо во двор", "затопление канализационными стоками"),
    ],
)
def test_it_flags_urgent_situations_in_any_season(text, reason):
    assert assess(text, when=SUMMER) == (HIGH, reason)
    assert assess(text, when=WINTER)[0] == HIGH


@pytest.mark.parametrize(
    "text",
    [
        "Нет отопления третий день",
        "Холодные батареи в квартире",
        "батареи еле тёплые, в квартире холодно",
        "Когда включат отопление? В квартире +14",
        "Отключили отопление в нашем доме",
    ],
)
def test_no_heating_is_urgent_in_the_cold_season_only(text):
    assert assess(text, when=WINTER) == (HIGH, "нет отопления в отопительный сезон")
    assert assess(text, when=date(2024, 10, 20))[0] == HIGH
    assert assess(text, when=date(2025, 4, 5))[0] == HIGH
    assert assess(text, when=SUMMER) == (NORMAL, "")


@pytest.mark.parametrize("who", ["грудной ребёнок", "маленькие дети", "пожилая мама", "лежачий больной", "бабушка-инвалид"])
def test_no_heating_with_children_or_old_people_is_urgent_any_time(who):
    assert assess(f"Нет отопления, а дома {who}", when=SUMMER) == (HIGH, "нет отопления, а в доме дети или пожилые")


def test_snow_blocking_a_road_is_urgent_in_winter_only():
    text = "Дорогу замело снегом, скорая не может проехать к дому"
    assert assess(text, when=WINTER) == (HIGH, "снег или лёд перекрывают проезд")
    assert assess(text, when=date(2025, 3, 2))[0] == HIGH
    assert assess(text, when=SUMMER) == (NORMAL, "")
    assert assess("Не проехать из-за сугробов, машины застревают", when=WINTER)[0] == HIGH
    assert assess("Снег на дороге", when=WINTER) == (NORMAL, "")  # not blocking


@pytest.mark.parametrize(
    "text",
    [
        "вчера дали воду, спасибо",
        "Вчера не было воды весь день, сейчас дали",
        "Отопление уже включили, спасибо",
        "Нет света был с утра. Уже починили.",
        "Сосульки сбили, спасибо",
        "Не пахнет газом, проверили",
        "Нет открытых люков, всё закрыто",
        "Проблема решена: воды нет больше не бывает",
        "Открытый люк закрыли в тот же день",
    ],
)
def test_negated_and_resolved_triggers_are_not_urgent(text):
    assert assess(text, when=WINTER) == (NORMAL, "")


def test_a_resolution_of_another_supply_does_not_cancel_the_first():
    assert assess("Нет отопления. Горячую воду дали.", when=WINTER) == (HIGH, "нет отопления в отопительный сезон")
    assert assess("Нет воды. Свет дали.", when=SUMMER) == (HIGH, "нет водоснабжения")


def test_a_near_miss_is_not_a_negation():
    assert assess("Ребёнок чуть не упал в открытый люк", when=SUMMER) == (HIGH, "угроза жизни: открытый люк")


@pytest.mark.parametrize(
    "text",
    [
        "нет света в подъезде",
        "Нет света на лестнице третьего этажа",
        "Не горит фонарь во дворе",
        "Горит свет в подъезде целый день",
        "Пожарная лестница заставлена",
        "После пожара в подъезде остались следы копоти",
        "Хлам на площадке, в случае пожара не выйти",
        "Сломана детская горка",
        "Яма на дороге",
        "Отваливается штукатурка в подъезде",
        "В подъезде холодно, батареи не греют",
        "Нет водостока на крыше",
        "Газон разъездили машины",
        "",
    ],
)
def test_lookalikes_are_normal(text):
    assert assess(text, when=WINTER) == (NORMAL, "")


def test_the_energy_block_makes_no_light_an_outage():
    assert assess("нет света в подъезде", when=WINTER, block="energy") == (HIGH, "нет электроснабжения")


def test_when_accepts_dates_datetimes_and_iso_strings():
    text = "Нет отопления третий день"
    assert assess(text, when=datetime(2025, 1, 5, 8, 0))[0] == HIGH
    assert assess(text, when="2025-01-05T08:00:00")[0] == HIGH
    assert assess(text, when="2025-07-05")[0] == NORMAL
    assert assess(None) == (NORMAL, "")


def test_the_first_rule_in_priority_order_gives_the_reason():
    text = "Нет воды третий день, а ещё во дворе открытый люк"
    assert assess(text, when=SUMMER) == (HIGH, "угроза жизни: открытый люк")


def test_the_benchmark_counts_the_urgent_texts():  # the speed itself: `tsur bench steps`
    texts = [
        "Во дворе дома 5 по улице Садовой третью неделю не вывозят мусор, контейнеры переполнены.",
        "Третий день нет воды во всём доме, управляющая компания не отвечает на звонки.",
        "Просим отремонтировать дорогу у школы: ямы глубокие, машины бьют колёса.",
        "Холодные батареи в квартире, в комнатах +15, маленький ребёнок болеет.",
    ] * 500
    result = bench_urgency(texts, runs=1, when=WINTER)
    assert result["texts"] == 2000 and result["high"] == 1000
