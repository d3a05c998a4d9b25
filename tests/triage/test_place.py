"""Place extraction: territories from coordinates, addresses and Russian text (synthetic texts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tsur.triage.engine.place import DEMO_OUTSIDE, DEMO_STREETS, DEMO_TERRITORIES, Gazetteer, bench_place

EVAL = Path(__file__).parent / "data" / "place_eval.jsonl"


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.from_files(DEMO_TERRITORIES, DEMO_STREETS, DEMO_OUTSIDE, use_natasha=False)


def code(gaz: Gazetteer, text: str, **kw) -> str | None:
    found = gaz.locate(text, **kw)
    return found["code"] if found else None


# ---- names in any case ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("В Калуге не вывозят мусор", "kaluga"),
        ("жители калуги просят убрать снег", "kaluga"),
        ("Когда в Калугу вернут автобус?", "kaluga"),
        ("Калужской области нужны дороги", "kaluga-oblast"),
        ("по Калужской обл. нет лекарств", "kaluga-oblast"),
        ("Людиново, яма у рынка", "lyudinovo"),
        ("в Людинове нет воды", "lyudinovo"),
        ("в Людиново нет воды", "lyudinovo"),
        ("Людиновский район, дорога", "lyudinovskiy-rayon"),
        ("в Козельском районе нет света", "kozelskiy-rayon"),
        ("Дзержинский р-н, грейдер не приезжал", "dzerzhinskiy-rayon"),
        ("Боровский муниципальный район, нет связи", "borovskiy-rayon"),
        ("р-н Козельский, нет связи", "kozelskiy-rayon"),
        ("г. Обнинск, во дворе лужа", "obninsk"),
        ("п. Воротынск, дорога разбита", "vorotynsk"),
        ("с. Бабынино, нет автобуса", "babynino"),
        ("Полотняный Завод: не убирают снег", "polotnyanyy-zavod"),
        ("в Полотняном Заводе прорвало трубу", "polotnyanyy-zavod"),
        ("в Сухиничах нет отопления", "sukhinichi"),
        ("в Малоярославце нет мест в саду", "maloyaroslavets"),
        ("в Медыни закрыли почту", "medyn"),
        ("в Спас-Деменске разбита улица", "spas-demensk"),
        ("в Николе-Ленивце свалка", "nikola-lenivets"),
        ("Ленинский округ г. Калуги: снег", "kaluga-leninskiy-okrug"),
        ("в Московском округе сломана горка", "kaluga-moskovskiy-okrug"),
        ("Калужский регион: нет врачей", "kaluga-oblast"),
    ],
)
def test_it_finds_names_in_any_grammatical_case(gaz, text, expected):
    assert code(gaz, text) == expected


def test_it_returns_the_contract_keys_and_quotes_what_it_used(gaz):
    found = gaz.locate("В Калуге не горит фонарь")
    assert set(found) >= {"code", "name", "level", "evidence", "address"}
    assert found["name"] == "Калуга" and found["level"] == "city_district"
    assert found["evidence"] == ["gazetteer:«В Калуге»"]
    assert found["address"] == ""


def test_it_prefers_the_most_specific_nested_place(gaz):
    found = gaz.locate("Калужская область, Перемышльский район, Воротынск, разбитая дорога")
    assert found["code"] == "vorotynsk"
    assert found["evidence"] == ["gazetteer:«Калужская область»", "gazetteer:«Перемышльский район»", "gazetteer:«Воротынск»"]
    assert code(gaz, "Козельский район, г. Сосенский, нет воды") == "sosenskiy"
    # a village the gazetteer does not know: the district stays
    assert code(gaz, "д. Ивановка Малоярославецкого района, нет света") == "maloyaroslavetskiy-rayon"


def test_it_returns_nothing_without_a_place(gaz):
    assert gaz.locate("Подъезд не убирают уже месяц.") is None
    assert gaz.locate("") is None
    assert gaz.locate(None) is None


# ---- addresses and the street list ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("На ул. Ленина, д. 15 не горит фонарь", "ул. Ленина, д. 15"),
        ("улица Кирова 12, подъезд грязный", "ул. Кирова, д. 12"),
        ("ул.Ленина,д.5 лужа", "ул. Ленина, д. 5"),
        ("переулок Воинский, 5 — упало дерево", "пер. Воинский, д. 5"),
        ("Яма на Московской улице у остановки", "ул. Московская"),
        ("на улице Московской дом 3 яма", "ул. Московская, д. 3"),
        ("Грабцевское ш. разбито", "ш. Грабцевское"),
        ("на ул. 1-я Загородная нет света", "ул. 1-я Загородная"),
        ("на площади Победы не работает фонтан", "пл. Победы"),
        ("ул. Тарутинская дом 40 корп. 2 нет воды", "ул. Тарутинская, д. 40, корп. 2"),
    ],
)
def test_it_reads_kaluga_street_addresses_and_implies_the_city(gaz, text, address):
    found = gaz.locate(text)
    assert found["code"] == "kaluga"
    assert found["address"] == address
    assert any(e.startswith("street:«") and "Калуга" in e for e in found["evidence"])


def test_a_street_does_not_override_a_named_place(gaz):
    found = gaz.locate("В Кирове на ул. Ленина сломана остановка")
    assert found["code"] == "kirov"
    assert found["address"] == "ул. Ленина"
    found = gaz.locate("В Калуге на ул. Ленина, д. 15 нет света")
    assert found["code"] == "kaluga"
    assert found["evidence"] == ["gazetteer:«В Калуге»", "street:«ул. Ленина, д. 15» in the street list of Калуга"]


def test_a_street_of_another_type_or_city_implies_nothing(gaz):
    # Kaluga has «ул. Ленина», not a проспект: «пр-т Ленина» is Obninsk's or another city's
    assert gaz.locate("пр-т Ленина 5, яма") is None
    assert gaz.locate("Москва, ул. Ленина 5, яма") is None
    assert gaz.locate("СПб, ул. Садовая 3") is None
    assert gaz.extract_address("Обнинск, пр-т Ленина 120 - открытый люк") == "пр-т Ленина, д. 120"
    assert code(gaz, "Обнинск, пр-т Ленина 120 - открытый люк") == "obninsk"


def test_an_unknown_street_still_gives_an_address(gaz):
    found = gaz.locate("Людиново, ул. Фокина, д. 7: яма")
    assert found["code"] == "lyudinovo"
    assert found["address"] == "ул. Фокина, д. 7"


def test_the_address_argument_is_used_and_weighs_more(gaz):
    found = gaz.locate("Во дворе яма", address="Калужская обл., г. Людиново, ул. Фокина, 3")
    assert found["code"] == "lyudinovo"
    assert found["address"] == "ул. Фокина, д. 3"
    assert "address:«г. Людиново»" in found["evidence"]
    assert code(gaz, "Из Калуги пишу", address="г. Обнинск") == "obninsk"


def test_streets_can_be_told_not_to_imply_a_territory():
    gaz = Gazetteer.from_files(use_natasha=False, streets_imply=False)
    assert gaz.locate("На ул. Ленина, д. 15 не горит фонарь") is None
    assert gaz.extract_address("На ул. Ленина, д. 15 не горит фонарь") == "ул. Ленина, д. 15"


# ---- ambiguity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "мирный митинг прошёл без нарушений",
        "Белая машина стоит на газоне",
        "Новый дом, а лифт уже сломан",
        "Городок у нас маленький, но грязный",
        "Жуков сказал, что ремонт будет летом",
        "Школа им. Кирова: протекает крыша",
        "на реке Угре мусор",
    ],
)
def test_common_words_and_surnames_are_not_places_without_a_marker(gaz, text):
    assert gaz.locate(text) is None


def test_common_words_are_places_with_a_settlement_marker(gaz):
    assert code(gaz, "в посёлке Мирный нет газа") == "mirnyy"
    assert code(gaz, "п. Новый: не вывозят мусор") == "novyy"
    assert code(gaz, "в деревне Белая упал столб") == "belaya"
    # a surname-like name needs only a preposition
    assert code(gaz, "в Жукове сломали остановку") == "zhukov"
    assert code(gaz, "жители Жукова просят тротуар") == "zhukov"


def test_ignored_lookalikes_are_explained(gaz):
    found = gaz.locate("Новый дом в Калуге, а лифт сломан")
    assert found["code"] == "kaluga"
    assert "ignored «Новый»: a common word, no settlement marker" in found["evidence"]


def test_a_settlement_named_like_a_street_is_the_street_inside_an_address(gaz):
    # Киров is a town; «ул. Кирова» is a street of Kaluga
    found = gaz.locate("улица Кирова 12, подъезд грязный")
    assert found["code"] == "kaluga"
    assert found["address"] == "ул. Кирова, д. 12"
    # «Маршала Жукова» is a street too, not the town of Жуков
    assert code(gaz, "на ул. Маршала Жукова нет света") == "kaluga"


def test_homonyms_fall_back_to_their_common_parent_unless_the_marker_decides(gaz):
    found = gaz.locate("в Горенском нет света")
    assert found["code"] == "kaluga"
    assert any(e.startswith("ambiguous: «в Горенском» names Горенское (село) / Горенское (деревня)") for e in found["evidence"])
    assert code(gaz, "с. Горенское нет света") == "gorenskoe-selo"
    assert code(gaz, "д. Горенское нет света") == "gorenskoe-derevnya"


def test_two_unrelated_places_give_their_common_parent_unless_one_is_stronger(gaz):
    found = gaz.locate("Из Калуги в Козельск невозможно доехать")
    assert found["code"] == "kaluga-oblast"
    assert any(e.startswith("ambiguous: ") for e in found["evidence"])
    found = gaz.locate("с. Бабынино, не ходит автобус на Калугу")
    assert found["code"] == "babynino"
    assert "also named: Калуга; Бабынино is named more strongly" in found["evidence"]
    # two places in one district: the district
    assert code(gaz, "из Детчино до Малоярославца автобус не ходит") == "maloyaroslavetskiy-rayon"


def test_custom_gazetteer_rows_with_common_word_settlements():
    rows = [
        {"code": "r", "name": "Тестовая область", "level": "region", "parent": None},
        {"code": "d", "name": "Тестовый район", "level": "municipal_district", "parent": "r"},
        {"code": "mir", "name": "Мир", "level": "settlement", "parent": "d"},
        {"code": "pobeda", "name": "Победа", "level": "settlement", "parent": "d"},
        {"code": "oktyabr", "name": "Октябрь", "level": "settlement", "parent": "d"},
    ]
    gaz = Gazetteer(rows, [], use_natasha=False)
    for text in ("на ул. Мира яма", "День Победы отметили", "в октябре холодно", "Мир во всём мире", "Победа!"):
        assert gaz.locate(text) is None, text
    assert code(gaz, "пос. Победа, нет воды") == "pobeda"
    assert code(gaz, "в деревне Октябрь нет света") == "oktyabr"
    assert code(gaz, "с. Мир: упал столб") == "mir"
    assert code(gaz, "в Тестовом районе нет связи") == "d"


# ---- coordinates ----------------------------------------------------------------------------


def test_a_point_gives_the_deepest_polygon(gaz):
    found = gaz.locate("", lat=54.0347, lon=35.7808)
    assert found["code"] == "kozelskiy-rayon"
    assert found["evidence"] == ["polygon: Козельский район"]
    assert code(gaz, "яма", lat=54.5060, lon=36.2516) == "kaluga"


def test_a_point_is_refined_by_a_settlement_inside_it_and_wins_over_one_outside(gaz):
    found = gaz.locate("в Козельске яма", lat=54.0347, lon=35.7808)
    assert found["code"] == "kozelsk"
    assert found["evidence"] == ["polygon: Козельский район", "gazetteer:«в Козельске»"]
    found = gaz.locate("в Людинове яма", lat=54.0347, lon=35.7808)
    assert found["code"] == "kozelskiy-rayon"
    assert "outside the point's territory" in found["evidence"][1]


def test_a_point_just_outside_the_region_gives_the_nearest_settlement(gaz):
    found = gaz.locate("", lat=54.73716, lon=37.20763)  # ~3 km east of Таруса, across the border
    assert found["code"] == "tarusa"
    assert found["evidence"] == ["nearest settlement Таруса, 3.0 km"]


def test_a_far_point_gives_nothing_but_the_text_still_counts(gaz):
    assert gaz.locate("яма", lat=55.75, lon=37.62) is None  # Moscow
    found = gaz.locate("в Калуге яма", lat=55.75, lon=37.62)
    assert found["code"] == "kaluga"
    assert found["evidence"][-1].startswith("point outside every territory (nearest settlement")


# ---- natasha fallback ------------------------------------------------------------------------


def test_natasha_is_only_a_fallback(monkeypatch):
    gaz = Gazetteer.from_files()
    calls = []
    monkeypatch.setattr(gaz, "_natasha_locate", lambda text: (calls.append(text), ("ugra", ["natasha:LOC «Угра»"]))[1])
    assert gaz.locate("В Калуге яма")["code"] == "kaluga"  # the gazetteer found it
    assert gaz.locate("Мусор не вывозят") is None  # no address cue
    assert gaz.locate("Обнинско нет света") is None  # a possible place, but no address cue
    assert calls == []
    found = gaz.locate("Обнинско, д. 5, нет света")  # an unforeseen form of a known name, address cues
    assert found["code"] == "ugra" and found["evidence"] == ["natasha:LOC «Угра»"]
    assert len(calls) == 1


@pytest.mark.parametrize(
    "text",
    [
        "деревня Заболотье, дом 3, мусор",  # an unknown village: no LOC span could name a territory
        "Санкт-Петербург, Невский пр., д. 5, яма",  # another city
        "пр. Маршала Жукова, д. 3, яма",  # a place-like name inside a street
        "ул. Кирова, дом 3, нет воды",  # a street not in the list: «Кирова» is not a town here
        "у дома 5 по улице Садовой прорвало трубу",  # address cues, no name at all
    ],
)
def test_natasha_is_not_asked_when_no_token_could_name_a_territory(monkeypatch, text):
    gaz = Gazetteer.from_files()
    calls = []
    monkeypatch.setattr(gaz, "_natasha_locate", lambda text: (calls.append(text), (None, []))[1])
    gaz.locate(text)
    assert calls == []


def test_the_ner_trigger_sees_names_outside_streets_only(gaz):
    def may_add(text: str) -> bool:
        return gaz._names.ner_may_add(gaz._names.scan(text))

    assert may_add("Обнинско, д. 5")  # the lemma path of the NER lookup would accept it
    assert may_add("Жуков, ул. Садовая, д. 3")  # a surname-like town name
    assert not may_add("ул. Жукова, д. 3")
    assert not may_add("памятник маршала Жукова, д. 3")
    assert not may_add("деревня Заболотье, дом 3")
    assert not may_add("Заречье, дом 3")  # a common word: NER cannot make it a place


def test_natasha_settles_a_surname_like_name_before_a_street_decides():
    gaz = Gazetteer.from_files()
    found = gaz.locate("Сосенский, ул. Ленина, д. 3, нет воды")
    assert found["code"] == "sosenskiy"
    assert found["evidence"] == ["natasha:LOC «Сосенский»"]
    assert found["address"] == "ул. Ленина, д. 3"
    without = Gazetteer.from_files(use_natasha=False).locate("Сосенский, ул. Ленина, д. 3, нет воды")
    assert without["code"] == "kaluga"  # the street alone
    assert "ignored «Сосенский»: also a surname, no preposition or settlement marker" in without["evidence"]


def test_natasha_lookups_accept_names_but_not_common_words(gaz):
    assert gaz._fuzzy_codes("Жуков") == ["zhukov"]
    assert gaz._fuzzy_codes("Бабынину") == ["babynino"]
    assert gaz._fuzzy_codes("Заречье") == []
    assert gaz._fuzzy_codes("Боровская") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("г Жуков, ул. Садовая, дом 3", "zhukov"),  # a marker letter without its dot
        ("Малоярославеце, нет воды", "maloyaroslavets"),  # a misspelt case form, by its lemma
        ("Пишу из Сухинич", "sukhinichi"),
        ("из Износок не уехать", "iznoski"),
        ("Людиновом, дом 3", "lyudinovo"),
    ],
)
def test_it_copes_with_colloquial_and_misspelt_forms(gaz, text, expected):
    assert code(gaz, text) == expected


def test_a_number_before_a_marker_letter_is_a_year_not_a_town(gaz):
    assert gaz.locate("в 2020 г Жуков обещал ремонт") is None


# ---- quality (the speed: `tsur bench steps`) -------------------------------------------------


def test_it_gets_the_synthetic_evaluation_set_right(gaz):
    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 100
    right = sum(1 for r in rows if code(gaz, r["text"]) == r["expected"])
    assert right / len(rows) >= 0.95


def test_the_benchmark_counts_the_places_found_and_restores_the_fallback_setting():
    gaz = Gazetteer.from_files(use_natasha=False)
    texts = ["В Калуге на ул. Ленина, д. 15 третий день не горит фонарь у подъезда, просим починить."] * 200
    result = bench_place(texts, gazetteer=gaz, runs=2)
    assert result["texts"] == 200 and result["gazetteer_found"] == 200
    assert gaz.use_natasha is False  # restored
