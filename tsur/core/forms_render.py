"""The form renderer: Django's, with <select> written in Python.

Django renders each option of a <select> through two included templates; the operators' pages
carry a dozen selects of the classifier (hundreds of categories and territories), which took a
third of a queue page's and a card's time. The markup is the same as Django's templates write.
"""

from __future__ import annotations

import html
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


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


class FormRenderer(DjangoTemplates):
    """settings.FORM_RENDERER."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        if template_name == SELECT_TEMPLATE and widget and all(
            o.get("template_name") == OPTION_TEMPLATE for _g, options, _i in widget["optgroups"] for o in options
        ):
            return render_select(widget)
        return super().render(template_name, context, request)
