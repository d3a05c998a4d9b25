"""Russian words for numbers: which of the three noun forms a count takes."""

from __future__ import annotations


def plural_class(n: int) -> int:
    """0 for 1, 21, 101 …; 1 for 2–4, 22–24 …; 2 for 0, 5–20, 25 … (11–14 always take the third)."""
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return 0
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return 1
    return 2


def plural(n: int, one: str, few: str, many: str) -> str:
    """The Russian noun form for n: 1 обращение, 3 обращения, 7 обращений."""
    return (one, few, many)[plural_class(n)]
