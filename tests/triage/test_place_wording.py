"""The place evidence, warnings and personal-data kinds read in Russian: every kind of note the
gazetteer writes has a Russian rendering (an engine note without one fails here)."""

from __future__ import annotations

import re

import pytest

from tsur.lib.pdmask import MASKS
from tsur.triage.engine.place import DEMO_OUTSIDE, DEMO_STREETS, DEMO_TERRITORIES, Gazetteer
from tsur.triage.engine.wording import in_russian, note_in_russian, personal_data_in_russian, warning_in_russian

ENGLISH = re.compile(r"[A-Za-z]{3,}")


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.from_files(DEMO_TERRITORIES, DEMO_STREETS, DEMO_OUTSIDE, use_natasha=False)


# Texts that make the gazetteer write each kind of note (see tests/triage/test_place.py).
CASES = [
    ("В Калуге на ул. Ленина, д. 15 нет света", {}),
    ("Во дворе яма", {"address": "Калужская обл., г. Людиново, ул. Фокина, 3"}),
    ("Новый дом в Калуге, а лифт сломан", {}),
    ("в Горенском нет света", {}),
    ("Из Калуги в Козельск невозможно доехать", {}),
    ("с. Бабынино, не ходит автобус на Калугу", {}),
    ("в Людинове яма", {"lat": 54.0347, "lon": 35.7808}),
    ("", {"lat": 54.73716, "lon": 37.20763}),
    ("в Калуге яма", {"lat": 55.75, "lon": 37.62}),
    ("в Козельске яма", {"lat": 54.0347, "lon": 35.7808}),
    ("Сосенский, ул. Ленина, д. 3, нет воды", {}),
    ("улица Кирова 12, подъезд грязный", {}),
    ("Москва, ул. Ленина 5, в Калуге яма", {}),
    ("у памятника Жукову в Калуге, ул. Ленина 3, река Ока", {}),
]


@pytest.mark.parametrize(("text", "kw"), CASES)
def test_it_renders_every_note_the_gazetteer_writes_in_russian(gaz, text, kw):
    found = gaz.locate(text, **kw)
    assert found and found["evidence"]
    for note in in_russian(found["evidence"]):
        assert not ENGLISH.findall(note), note


def test_it_keeps_the_names_and_words_of_the_notes():
    assert note_in_russian("polygon: Мещовский район") == "точка на карте — в границах: Мещовский район"
    assert note_in_russian("street:«ул. Ленина, д. 15» in the street list of Калуга") == "улица «ул. Ленина, д. 15» есть в перечне улиц: Калуга"
    assert (
        note_in_russian("text names Калуга, outside the point's territory: the point is used")
        == "в тексте названо: Калуга, но точка на карте вне этой территории — принята точка"
    )
    assert note_in_russian("nearest settlement Таруса, 3.0 km") == "точка на карте — ближайший населённый пункт Таруса, 3,0 км"
    assert note_in_russian("gazetteer:«в Калуге»") == "в тексте названо «в Калуге»"


def test_it_renders_the_pipelines_warnings_and_errors_in_russian():
    for warning in (
        "only one of lat/lon given: coordinates ignored",
        "lat/lon are not valid coordinates: ignored",
        "created_at is not an ISO date-time: ignored",
        "context columns channel, source missing: classified from the text alone",
        "HTML removed",
        "not Russian text (Cyrillic letters 12%): block and category are unreliable, confidence lowered",
        "'text' is empty after HTML clean-up",
        "'text' is too long: 20001 characters (limit 20000 after HTML clean-up)",
        "'text' looks like binary data, not text",
    ):
        assert not ENGLISH.findall(warning_in_russian(warning)), warning
    assert warning_in_russian("could not convert string to float: 'x'") == "служебное предупреждение автоматического разбора"
    assert warning_in_russian("модель не загружена") == "модель не загружена"


def test_it_names_every_kind_of_personal_data():
    names = personal_data_in_russian(sorted(MASKS))
    assert all(not ENGLISH.findall(n) for n in names), names
    assert personal_data_in_russian(["email", "name", "phone"]) == ["адрес электронной почты", "имя", "телефон"]
