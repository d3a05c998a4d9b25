"""Server-side SVG charts for the weekly report. The PDF is made by WeasyPrint, which runs no
JavaScript, so the report cannot use the dashboards' ECharts: these few charts are drawn here as
plain SVG, the same in the HTML page and the PDF. Labels are escaped; sizes are in CSS pixels
(WeasyPrint maps 96 px to an inch, so 680 px fills the width of an A4 page between margins)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
THIS_WEEK = "#1565c0"
LAST_WEEK = "#b0bec5"
GRID = "#e0e0e0"
INK = "#263238"
LABEL_CHARS = 32


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    previous: float | None = None  # the same figure a week before, drawn beside it when given
    note: str = ""  # printed after the bar (e.g. «78 %»); the value itself when empty


def _nice_ceiling(value: float, *, ticks: int = 4) -> float:
    """A round top for an axis of counts: `ticks` equal whole steps of 1, 2 or 5 × 10^k."""
    need = max(value, 1) / ticks
    power = 1
    while True:
        for step in (1, 2, 5):
            if step * power >= need:
                return float(step * power * ticks)
        power *= 10


def _fmt(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u00a0")
    return f"{value:.1f}".replace(".", ",")


def _svg(width: int, height: int, body: list[str], title: str) -> SafeString:
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT}" font-size="11" fill="{INK}">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _legend(x: int, y: int, current: str, previous: str) -> list[str]:
    return [
        f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{THIS_WEEK}"/>',
        f'<text x="{x + 14}" y="{y}">{escape(current)}</text>',
        f'<rect x="{x + 150}" y="{y - 9}" width="10" height="10" fill="{LAST_WEEK}"/>',
        f'<text x="{x + 164}" y="{y}">{escape(previous)}</text>',
    ]


def columns(
    bars: Sequence[Bar], *, title: str, current: str = "Эта неделя", previous: str = "Прошлая неделя", width: int = 680, height: int = 230
) -> SafeString:
    """Vertical bars per label (days of the week), this week's beside last week's."""
    left, right, top, bottom = 44, 10, 26, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_ceiling(max([b.value for b in bars] + [b.previous or 0 for b in bars]))
    body = _legend(left, 14, current, previous)
    for k in range(5):
        v = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    slot = plot_w / max(len(bars), 1)
    bar_w = min(slot * 0.36, 36)
    for i, b in enumerate(bars):
        x0 = left + slot * i + slot / 2
        pairs = [(b.value, THIS_WEEK, x0 - bar_w if b.previous is not None else x0 - bar_w / 2)]
        if b.previous is not None:
            pairs.append((b.previous, LAST_WEEK, x0))
        for value, colour, x in pairs:
            h = plot_h * value / top_value
            body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{colour}"/>')
        h_cur = plot_h * b.value / top_value
        body.append(
            f'<text x="{pairs[0][2] + bar_w / 2:.1f}" y="{top + plot_h - h_cur - 3:.1f}" text-anchor="middle" font-size="10">{_fmt(b.value)}</text>'
        )
        body.append(f'<text x="{x0:.1f}" y="{height - bottom + 16}" text-anchor="middle">{escape(b.label)}</text>')
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{INK}"/>')
    return _svg(width, height, body, title)


def rows(
    bars: Sequence[Bar],
    *,
    title: str,
    current: str = "Эта неделя",
    previous: str = "Прошлая неделя",
    width: int = 680,
    top_value: float | None = None,
) -> SafeString:
    """Horizontal bars, one row per label (categories, organisations), with last week's as a thin
    grey bar under this week's when given."""
    label_w, right, top, row_h = 250, 60, 24, 24
    height = top + row_h * max(len(bars), 1) + 6
    plot_w = width - label_w - right
    scale = top_value or _nice_ceiling(max([b.value for b in bars] + [b.previous or 0 for b in bars] + [0]))
    has_previous = any(b.previous is not None for b in bars)
    body = _legend(label_w, 14, current, previous) if has_previous else []
    for i, b in enumerate(bars):
        y = top + row_h * i
        # Up to ~7.5 px a character at 11 px DejaVu Sans: 32 characters fit the 250 px label column.
        label = b.label if len(b.label) <= LABEL_CHARS else b.label[: LABEL_CHARS - 1] + "…"
        body.append(f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        w = plot_w * min(b.value / scale, 1.0)
        body.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="12" fill="{THIS_WEEK}"/>')
        if b.previous is not None:
            wp = plot_w * min(b.previous / scale, 1.0)
            body.append(f'<rect x="{label_w}" y="{y + 16}" width="{wp:.1f}" height="4" fill="{LAST_WEEK}"/>')
        body.append(f'<text x="{label_w + w + 5:.1f}" y="{y + 13}">{escape(b.note or _fmt(b.value))}</text>')
    return _svg(width, height, body, title)
