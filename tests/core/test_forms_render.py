"""The form renderer writes <select>, <input> and <textarea> in Python: the markup is Django's,
byte for byte, for plain options, groups, several chosen values, every input type, bound and
unbound values (empty, none, zero, false, text to escape, text marked safe), boolean and valued
attributes; what it does not write (radio buttons, a file input showing its current file) still
goes through the templates."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

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


ATTRS = {"class": "a b", "data-x": 'q "1" & <2>', "required": True, "hidden": False, "maxlength": 5, "data-safe": mark_safe("&amp;")}


class Inputs(forms.Form):
    text = forms.CharField(widget=forms.TextInput(attrs=ATTRS))
    number = forms.IntegerField()
    decimal = forms.DecimalField()
    email = forms.EmailField()
    url = forms.URLField(assume_scheme="https")
    tel = forms.CharField(widget=forms.TelInput())
    search = forms.CharField(widget=forms.SearchInput())
    color = forms.CharField(widget=forms.ColorInput())
    password = forms.CharField(widget=forms.PasswordInput(render_value=True))
    secret = forms.CharField(widget=forms.PasswordInput())
    hidden = forms.CharField(widget=forms.HiddenInput(attrs={"data-k": "<k>"}))
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    moment = forms.DateTimeField()
    hour = forms.TimeField()
    flag = forms.BooleanField(required=False)
    flagged = forms.BooleanField(widget=forms.CheckboxInput(attrs={"data-on": "1"}))
    upload = forms.FileField(required=False)
    uploads = forms.FileField(widget=forms.FileInput(attrs={"accept": "image/*"}))
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "placeholder": "<Текст>"}))
    remark = forms.CharField(widget=forms.Textarea())


VALUES = [
    {},
    {"text": "Яма <у дома> & «двор»", "number": "0", "decimal": "1.50", "email": 'a"b@example.org', "password": "<p>",
     "secret": "s", "hidden": "17", "day": "2026-12-07", "moment": "2026-12-07 10:00", "hour": "10:00", "flag": "on",
     "flagged": "", "note": "первая строка\nвторая <b>", "remark": ""},
    {"text": "", "number": "x", "hidden": "", "flag": "false", "note": "\n"},
]  # fmt: skip
INITIAL = {"text": mark_safe("<b>уже безопасно</b>"), "number": 0, "decimal": 2, "flag": True, "flagged": False,
           "day": dt.date(2026, 12, 7), "note": mark_safe("a &amp; b"), "hidden": None}  # fmt: skip


def _both(form: forms.Form, name: str) -> tuple[str, str]:
    form.renderer = DjangoTemplates()
    expected = str(form[name])
    form.renderer = FormRenderer()
    return expected, str(form[name])


@pytest.mark.parametrize("name", list(Inputs.base_fields))
@pytest.mark.parametrize("data", range(len(VALUES)))
def test_inputs_and_textareas_are_what_the_templates_write(name, data):
    files = {"uploads": SimpleUploadedFile("двор.png", b"x")} if data else None
    expected, written = _both(Inputs(VALUES[data], files), name)
    assert written == expected
    expected, written = _both(Inputs(initial=INITIAL, auto_id="f_%s", prefix="act"), name)
    assert written == expected


class _Stored:
    url = "/media/a.png"

    def __str__(self) -> str:
        return "a.png"


class Others(forms.Form):
    kind = forms.ChoiceField(choices=[("a", "А"), ("b", "Б")], widget=forms.RadioSelect)
    kinds = forms.MultipleChoiceField(choices=[("a", "А")], widget=forms.CheckboxSelectMultiple)
    photo = forms.FileField(required=False, widget=forms.ClearableFileInput)


def test_what_it_does_not_write_goes_through_the_templates(monkeypatch):
    seen: list[str] = []
    render = DjangoTemplates.render

    def spy(self, template_name, context, request=None):
        seen.append(template_name)
        return render(self, template_name, context, request)

    form = Others(initial={"kind": "a", "photo": _Stored()})
    expected = {name: _both(form, name)[0] for name in Others.base_fields}
    monkeypatch.setattr(DjangoTemplates, "render", spy)
    form.renderer = FormRenderer()
    assert {name: str(form[name]) for name in Others.base_fields} == expected
    assert "django/forms/widgets/radio.html" in seen
    assert "django/forms/widgets/clearable_file_input.html" in seen  # it shows the current file
    assert "a.png" in str(form["photo"])


def test_inputs_do_not_go_through_the_templates(monkeypatch):
    def no_templates(self, template_name, context, request=None):
        raise AssertionError(f"{template_name} rendered by a template")

    monkeypatch.setattr(DjangoTemplates, "render", no_templates)
    form = Inputs(initial=INITIAL)
    form.renderer = FormRenderer()
    assert str(form["note"]).startswith('<textarea name="note" cols="40" rows="3"')
    assert "&lt;b&gt;" not in str(form["text"]) and 'value="<b>уже безопасно</b>"' in str(form["text"])
    others = Others()
    others.renderer = FormRenderer()
    assert str(others["photo"]) == '<input type="file" name="photo" id="id_photo">'  # no current file
