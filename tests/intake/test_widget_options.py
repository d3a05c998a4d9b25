"""The widget's grouped lists written in Python (tsur.intake.options) against the template loop
they replace, kept here as the reference: the same elements, attributes and texts in the same
order, for selected and unselected values, empty groups and text that needs escaping."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.template import Context, Template

from tsur.intake.options import grouped_options

# The markup the widget's template wrote until the lists moved to Python.
REFERENCE = Template(
    """{% if empty %}<option value="">{{ empty.label }}</option>{% endif %}
          {% for group, options in groups %}
          <optgroup label="{{ group }}">
            {% for o in options %}<option value="{{ o.value }}"{% if o.selected %} selected{% endif %}>{{ o.label }}</option>{% endfor %}
          </optgroup>
          {% endfor %}"""
)


def reference(choices: list, current: str) -> str:
    empty, groups = None, []
    for value, label in choices:
        if isinstance(label, list | tuple):
            groups.append((value, [{"value": v, "label": lbl, "selected": v == current} for v, lbl in label]))
        else:
            empty = {"value": value, "label": label}
    return REFERENCE.render(Context({"empty": empty, "groups": groups}))


class Elements(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.seen: list[tuple] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.seen.append(("start", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.seen.append(("end", tag))

    def handle_data(self, data):
        if data.strip():
            self.seen.append(("text", data))


CATEGORIES = [
    ("", "— выберите тему —"),
    ("ЖКХ", [("heating", "Отопление"), ("water", "Горячая вода")]),
    ("Дороги & «транспорт»", [("pothole", 'Яма "на дороге" <срочно>'), ("light", "Освещение, фонари")]),
    ("Пустая группа", []),
    ("O'Brien", [("quote'", "Апостроф ' в коде")]),
]


@pytest.mark.parametrize("current", ["", "pothole", "quote'", "нет такого"])
def test_it_writes_what_the_template_wrote(current):
    ours = grouped_options(CATEGORIES, current)
    assert Elements(ours).seen == Elements(reference(CATEGORIES, current)).seen
    assert ours.count(" selected") == (1 if current in ("pothole", "quote'") else 0)


def test_it_escapes_what_it_writes():
    html = grouped_options(CATEGORIES, "")
    assert "<срочно>" not in html and "&lt;срочно&gt;" in html
    assert 'label="Дороги &amp; «транспорт»"' in html and "&quot;на дороге&quot;" in html
    assert 'value="quote&#x27;"' in html


def test_without_an_empty_choice_only_the_groups_are_written():
    choices = CATEGORIES[1:2]
    assert Elements(grouped_options(choices, "water")).seen == Elements(reference(choices, "water")).seen
    assert grouped_options(choices, "water").startswith("<optgroup")


@pytest.mark.django_db
def test_the_widget_page_lists_the_directory_and_keeps_a_choice_after_an_error(client, world):
    page = client.get("/widget/").content.decode()
    assert '<option value="pothole">' in page and "<optgroup label=" in page
    refused = client.post("/widget/", {"text": "", "category": "pothole"})  # no text, no token: refused, shown again
    assert '<option value="pothole" selected>' in refused.content.decode()
