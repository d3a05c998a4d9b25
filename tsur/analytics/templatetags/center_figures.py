"""Formatting the center's figures the Russian way: «87,5 %», «5,2 ч», «3,1 дн.», «—» for none."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from django import template

register = template.Library()
NONE = "—"


def _num(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


@register.filter
def pct(value: float | None) -> str:
    """A share 0..1 as a percentage."""
    return NONE if value is None else f"{_num(100 * value)} %"


@register.filter
def hours(value: float | None) -> str:
    """A duration in hours: minutes under an hour, days from two days on."""
    if value is None:
        return NONE
    if value < 1:
        return f"{round(value * 60)} мин"
    if value < 48:
        return f"{_num(value)} ч"
    return f"{_num(value / 24)} дн."


@register.filter
def num(value: float | None, digits: int = 1) -> str:
    return NONE if value is None else _num(value, int(digits))


@register.filter
def thousands(value: int | None) -> str:
    """12345 → «12 345» (a narrow no-break space, as Russian typography does)."""
    return NONE if value is None else f"{value:,}".replace(",", "\u202f")


@register.simple_tag
def drill(base: str, query: str, only: str = "", **extra: str) -> str:
    """The drill-down URL: the page's filters, the number's own condition and any overrides."""
    params = dict(parse_qsl(query))
    if only:
        params["only"] = only
    for key, value in extra.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return f"{base}?{urlencode(params)}"
