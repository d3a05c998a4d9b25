"""Small presentation helpers for the workspace templates."""

from __future__ import annotations

from django import template

from tsur.appeals.models import Status
from tsur.workspace import tones

register = template.Library()



@register.filter
def status_tone(code: str) -> str:
    """CSS tone of a status badge."""
    return tones.status_tone(code)


@register.filter
def status_label(code: str) -> str:
    try:
        return Status(code).label
    except ValueError:
        return code


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key) if mapping else None


@register.inclusion_tag("workspace/_field.html")
def field(bound_field, classes: str = ""):
    """A labelled form field with its errors next to it."""
    return {"f": bound_field, "classes": classes}
