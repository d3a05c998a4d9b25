"""The platform's own answer templates must pass its own formal-reply check.

Every shipped template is rendered for a realistic appeal as the card does; a template's fields in
square brackets are filled as an executor would fill them (a template cannot be sent unfilled,
tests/answers/test_flagged_approval.py). Any finding fails the test: a template the check flags
teaches executors to write «отписки».
"""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from tests.factories import new_appeal
from tsur.answers.checking import find_formal_reply, unfilled_fields
from tsur.answers.models import AnswerTemplate
from tsur.answers.services import render_template
from tsur.appeals import services
from tsur.core import clock
from tsur.demo.loader import TEMPLATES_FILE

MSK = ZoneInfo("Europe/Moscow")
SHIPPED = json.loads(TEMPLATES_FILE.read_text(encoding="utf-8"))
# What an executor writes into each field (a new field in a template needs its filled form here).
FILLED = {
    "[что будет сделано: вид и объём работ]": "ремонт асфальтового покрытия проезжей части площадью 40 кв. м",
    "[год]": "2027",
    "[ДД.ММ.ГГГГ]": "30.06.2027",
    "[временные меры: например, опасный участок огорожен]": "выбоина огорожена и обозначена предупреждающими знаками",
}


def fill(text: str) -> str:
    for field in unfilled_fields(text):
        assert field in FILLED, f"поле {field} шаблона: добавьте в тест, как его заполнит исполнитель"
        text = text.replace(field, FILLED[field])
    return text


@pytest.mark.parametrize("row", SHIPPED, ids=[r["code"] for r in SHIPPED])
def test_it_finds_nothing_formal_in_a_shipped_template(world, row):
    with clock.at(dt.datetime(2026, 11, 20, 10, 0, tzinfo=MSK)):
        a = new_appeal(world, address="ул. Ленина, д. 5")
        services.route_appeal(a, world.operator)
    template = AnswerTemplate(code=row["code"], name=row["name"], kind=row["kind"], text=row["text"])
    text = fill(render_template(template, a))
    assert a.number in text
    assert find_formal_reply(text) == []


def test_it_flags_a_template_sent_with_its_fields_unfilled():
    plan = next(r for r in SHIPPED if r["code"] == "final-plan")
    findings = find_formal_reply(plan["text"])
    assert {f["phrase"] for f in findings if f["why"] == "не заполнено поле шаблона"} >= {"[год]", "[ДД.ММ.ГГГГ]"}


def test_it_names_only_categories_the_demo_taxonomy_has():
    """A wrong code would drop the template from its category's list without a word."""
    tax = json.loads((TEMPLATES_FILE.parent / "data" / "taxonomy.json").read_text(encoding="utf-8"))
    codes = {c["code"] for c in tax["categories"]}
    named = {code for r in SHIPPED for code in r.get("categories", [])}
    assert named and named <= codes
