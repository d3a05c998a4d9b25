"""The form renderer: Django's, with <select>, <input> and <textarea> written in Python.

Django renders each option of a <select> through two included templates; the operators' pages
carry a dozen selects of the classifier (hundreds of categories and territories), which took a
third of a queue page's and a card's time. Every other field is an <input> or a <textarea>
through two or three included templates: a card offers a dozen action forms of some thirty fields.
The markup is the same as Django's templates write (`tests/core/test_forms_render.py` renders each
widget both ways); a widget with another template (a project's own, radio buttons, a clearable
file input showing its current file) is rendered by the templates as before.
"""

from __future__ import annotations

import html
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"
CLEARABLE_FILE_TEMPLATE = "django/forms/widgets/clearable_file_input.html"
# Django's input widgets whose template is input.html, or only includes it.
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input", "text", "number", "email", "url", "color", "search", "tel", "password", "hidden",
        "file", "date", "datetime", "time", "checkbox",
    )
)  # fmt: skip


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """` name="value"` per attribute, in their order; True: the bare name; False: left out."""
    if not attrs:
        return mark_safe("")
    shown = ((name, value) for name, value in attrs.items() if value is not False)
    parts = (format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value) for name, value in shown)
    return mark_safe("".join(parts))  # every part is escaped by format_html


def _escape(value: Any) -> str:
    """`conditional_escape` without its wrappers: what is safe already is kept, the rest escaped."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def render_select(widget: dict[str, Any]) -> SafeString:
    """The <select> of a widget context (Select, SelectMultiple and their subclasses). A select of
    the classifier has hundreds of options: each is written with one f-string, not `format_html`."""
    parts = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        parts.extend(
            f'\n  <option value="{_escape(o["value"])}"{_attrs(o["attrs"])}>{_escape(o["label"])}</option>\n' for o in options
        )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every value is escaped (format_html or _escape)


def render_input(widget: dict[str, Any]) -> SafeString:
    """input.html: `<input type name [value] attrs>`; a value of None is left out."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_escape(value)}"'
    return mark_safe(f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>')


def render_textarea(widget: dict[str, Any]) -> SafeString:
    """textarea.html: the value after a line break (which the browser drops), when it is not empty."""
    value = widget["value"]
    return mark_safe(f'<textarea name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{_escape(value) if value else ""}</textarea>')


class FormRenderer(DjangoTemplates):
    """settings.FORM_RENDERER."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if template_name == SELECT_TEMPLATE and widget and all(
            o.get("template_name") == OPTION_TEMPLATE for _g, options, _i in widget["optgroups"] for o in options
        ):
            return render_select(widget)
        if widget and template_name in INPUT_TEMPLATES:
            return render_input(widget)
        if widget and template_name == TEXTAREA_TEMPLATE:
            return render_textarea(widget)
        if widget and template_name == CLEARABLE_FILE_TEMPLATE and not widget.get("is_initial"):
            return render_input({**widget, "value": None})  # no current file: the bare file input
        return super().render(template_name, context, request)
