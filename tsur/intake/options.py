"""The widget's two grouped lists (the categories by block, the territories by district), written
in Python.

Every visitor of the widget gets both lists, about 340 options; Django's template engine resolved
four variables and an `if` per option, three quarters of the form page's server time. The markup
is what the template wrote (`tests/intake/test_widget_options.py` compares the two); every value
and label is escaped as the template's autoescape did (`html.escape`, quotes included).
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe


def grouped_options(choices: list, current: str) -> SafeString:
    """The `<option>`s of a select whose Django choices are an empty choice and groups
    (`[("", "— выберите —"), ("Группа", [(value, label), …]), …]`): the empty one first, then an
    `<optgroup>` per group, the option whose value is `current` selected (the empty one never is:
    it stands first and the browser takes it when nothing else is)."""
    empty = ""
    groups = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            options = "".join(
                f'<option value="{escape(str(v))}"{" selected" if v == current else ""}>{escape(str(lbl))}</option>' for v, lbl in label
            )
            groups.append(f'<optgroup label="{escape(str(value))}">{options}</optgroup>')
        else:
            empty = f'<option value="">{escape(str(label))}</option>'
    return mark_safe(empty + "".join(groups))
