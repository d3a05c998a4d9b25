"""The form renderer writes <select> in Python: the markup is Django's, byte for byte, for plain
options, groups, several chosen values, boolean and valued attributes, and text to escape."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from tsur.core.forms_render import FormRenderer


class Sample(forms.Form):
    grouped = forms.ChoiceField(
        choices=[("", "Все"), ("Группа <1>", [("x", "Икс & y"), ("y", "Игрек")]), ("z", 'Зет "q"')], required=False
    )
    several = forms.MultipleChoiceField(choices=[("1", "один"), ("2", "два")], required=False)
    marked = forms.ChoiceField(choices=[(1, "1"), (2, "2")], widget=forms.Select(attrs={"data-x": "<1>", "disabled": True, "hidden": False}))


@pytest.mark.parametrize("name", ["grouped", "several", "marked"])
def test_it_writes_what_the_templates_write(name):
    form = Sample(initial={"grouped": "y", "several": ["1", "2"], "marked": 2})
    form.renderer = DjangoTemplates()
    expected = form[name].as_widget()
    form.renderer = FormRenderer()
    assert form[name].as_widget() == expected
    assert "<1>" not in expected and "&lt;1&gt;" in str(form["grouped"].as_widget())


def test_the_settings_use_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)


def test_selects_do_not_go_through_the_templates(monkeypatch):
    def no_templates(self, template_name, context, request=None):
        raise AssertionError(f"{template_name} rendered by a template")

    monkeypatch.setattr(DjangoTemplates, "render", no_templates)
    form = Sample(initial={"grouped": "y"})
    form.renderer = FormRenderer()
    assert 'selected>Игрек</option>' in form["grouped"].as_widget()
