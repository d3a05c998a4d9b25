"""How the center's pages and the weekly report write figures in Russian: digit groups with a
no-break space, a decimal comma, «%» after a space, durations in hours or days, changes with
a sign against the previous period."""

from __future__ import annotations

NBSP = "\u00a0"


def number(value: int | float | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}".replace(",", NBSP).replace(".", ",")
    return f"{int(value):,}".replace(",", NBSP)


def percent(share: float | None) -> str:
    """0.783 → «78 %»; None (no base) → «—»."""
    if share is None:
        return "—"
    return f"{round(share * 100)}{NBSP}%"


def duration(hours: float | None) -> str:
    """Hours under two days as «5,5 ч», longer as «3,2 дн.»."""
    if hours is None:
        return "—"
    if hours < 48:
        return f"{hours:.1f}".replace(".", ",") + f"{NBSP}ч"
    return f"{hours / 24:.1f}".replace(".", ",") + f"{NBSP}дн."


def change(
    current: float | None, previous: float | None, *, against: str = "к прошлой неделе", before: str = "на прошлой неделе"
) -> tuple[str, int]:
    """The change against the previous period in words and its sign (1 up, -1 down, 0 none):
    «+12 % к прошлой неделе»; «на прошлой неделе — 0» when there is no base to divide by."""
    if current is None or previous is None:
        return "нет данных для сравнения", 0
    if previous == 0:
        return ("без изменений" if current == 0 else f"{before} — 0"), (0 if current == 0 else 1)
    delta = (current - previous) / previous
    if abs(delta) < 0.005:
        return "без изменений", 0
    sign = "+" if delta > 0 else "−"
    return f"{sign}{round(abs(delta) * 100)}{NBSP}% {against}", (1 if delta > 0 else -1)


def share_change(current: float | None, previous: float | None) -> tuple[str, int]:
    """A change of a share in percentage points: «+3 п. п.»."""
    if current is None or previous is None:
        return "нет данных для сравнения", 0
    points = round((current - previous) * 100)
    if points == 0:
        return "без изменений", 0
    return f"{'+' if points > 0 else '−'}{abs(points)}{NBSP}п.{NBSP}п. к прошлой неделе", (1 if points > 0 else -1)
