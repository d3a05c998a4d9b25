"""The scenario reads what the pages really render: the widget's form token, Django's CSRF token,
the options of a select, appeal numbers in the queue, the card's version."""

from __future__ import annotations

import random

from loadtest import scenario

WIDGET = """
<form method="post"><input type="hidden" name="form_token" value="abc:def">
<select name="category" id="id_category"><option value="">— выберите —</option>
<optgroup label="Дороги"><option value="potholes">Ямы</option><option value="snow">Снег</option></optgroup></select>
<select name="territory"><option value="city">Город</option></select></form>
"""
CARD = """
<a href="/workspace/appeals/2026-000012/">2026-000012</a><a href="/workspace/appeals/2026-B0000007/">x</a>
<a href="/workspace/appeals/2026-000012/">again</a>
<form><input type="hidden" name="csrfmiddlewaretoken" value="tok123"><input type="hidden" name="version" value="4"></form>
"""


def test_it_reads_the_widget_form():
    assert scenario.form_token(WIDGET) == "abc:def"
    assert scenario.select_options(WIDGET, "category") == ["potholes", "snow"]
    assert scenario.select_options(WIDGET, "missing") == []


def test_it_reads_the_queue_and_the_card():
    assert scenario.appeal_numbers(CARD) == ["2026-000012", "2026-B0000007"]
    assert scenario.csrf_token(CARD) == "tok123"
    assert scenario.version(CARD) == "4"
    assert scenario.version("<p>no form</p>") is None


def test_its_payloads_are_the_same_for_the_same_seed():
    first = [scenario.api_appeal(["snow"], random.Random(5)) for _ in range(2)]
    keys = [body.pop("external_id") for body in first]
    assert first[0] == first[1]
    assert keys[0] != keys[1] and len(keys[0]) >= 20  # new in every run; an anonymous key must be long
    with_contact = [scenario.widget_post("t", ["snow"], random.Random(seed)) for seed in range(20)]
    assert all(d.get("consent") == "on" for d in with_contact if "phone" in d)
    assert any("phone" in d for d in with_contact) and any("phone" not in d for d in with_contact)
