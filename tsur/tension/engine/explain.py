"""The Russian explanation of a point: what, where, how many against how many usually, since
when, what makes it sharper. One presenter for the shell, the platform's pages and reports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from tsur.lib.ru import plural
from tsur.tension.engine.model import BLOCK, EASING, GROWING, NEW, RESOLVED, STABLE, Point

Namer = Callable[[str], str]

STATE_LABELS = {
    NEW: "новая",
    GROWING: "растёт",
    STABLE: "держится",
    EASING: "спадает",
    RESOLVED: "завершилась",
}

# Phrases for the flags: (one, few, many) forms of the noun phrase after the number.
_FLAG_PHRASES = {
    "unresolved": ("не решено", "не решено", "не решено"),
    "overdue": ("просрочено", "просрочено", "просрочено"),
    "repeated": ("повторное с того же адреса", "повторных с того же адреса", "повторных с того же адреса"),
    "low_rating": ("с оценкой 1–2", "с оценкой 1–2", "с оценкой 1–2"),
    "reopened": ("открыто повторно", "открыто повторно", "открыто повторно"),
    "duplicate": ("дубликат в общей проблеме", "дубликата в общих проблемах", "дубликатов в общих проблемах"),
    "social": ("из соцсетей", "из соцсетей", "из соцсетей"),
    "confirmed": ("подтверждено объективным контролем", "подтверждено объективным контролем", "подтверждено объективным контролем"),
}


def number(x: float) -> str:
    """9,5 — one decimal with a comma; whole numbers without one."""
    if abs(x - round(x)) < 0.05:
        return str(int(round(x)))
    return f"{x:.1f}".replace(".", ",")


def _d(day: dt.date) -> str:
    return f"{day:%d.%m.%Y}"


def explain(point: Point, *, place_name: Namer = str, topic_name: Namer = str) -> str:
    """«Отопление (ЖКХ) — Калининский район: 37 обращений за 7 дней (12.01–18.01) при обычных 9,5;
    растёт с 12.01; 21 не решено, 6 повторных с того же адреса»."""
    key = point.key
    if key.level == BLOCK:
        what = f"{topic_name(key.topic)} (весь блок)"
    elif point.block:
        what = f"{topic_name(key.topic)} ({topic_name(point.block)})"
    else:
        what = topic_name(key.topic)
    days = point.days
    last = point.end - dt.timedelta(days=1)
    span = _d(point.start) if days == 1 else f"{_d(point.start)}–{_d(last)}"
    text = (
        f"{what} — {place_name(key.place)}: {point.count} {plural(point.count, 'обращение', 'обращения', 'обращений')} "
        f"за {days} {plural(days, 'день', 'дня', 'дней')} ({span}) при обычных {number(point.expected)}"
    )
    if point.peak_count and (point.peak_count != point.count):
        window = f"{point.peak_days} {plural(point.peak_days, 'день', 'дня', 'дней')}"
        text += f"; пик — {point.peak_count} за {window} с {_d(point.peak_start)} при обычных {number(point.peak_expected)}"
    since = _d(point.start)
    if point.state == NEW:
        text += f"; новая, с {since}"
    elif point.state == GROWING:
        text += f"; растёт с {since}"
    elif point.state == STABLE:
        text += f"; держится с {since}"
    elif point.state == EASING:
        text += f"; спадает, началась {since}"
    elif point.state == RESOLVED:
        text += f"; завершилась {_d(last)}"
    sharp = [f"{n} {plural(n, *_FLAG_PHRASES[name])}" for name, n in point.flags.items() if name in _FLAG_PHRASES]
    if sharp:
        text += "; " + ", ".join(sharp)
    return text
