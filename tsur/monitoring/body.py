"""A request's body → its events, each as the exact text it had (the raw payload kept untouched).

`json.loads` would give the values only; the items are found with the C scanner's `raw_decode`,
which tells where each value ends, so each item's text is sliced from the body as sent.
"""

from __future__ import annotations

import json
import re
from typing import Any


class BodyError(ValueError):
    """The body is not a JSON list of events nor an object with one under "events" (Russian message)."""


_decoder = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")


def _ws(text: str, i: int) -> int:
    return _WS.match(text, i).end()  # type: ignore[union-attr]


def _value(text: str, i: int) -> tuple[Any, int]:
    try:
        return _decoder.raw_decode(text, i)
    except json.JSONDecodeError as exc:
        raise BodyError(f"Тело запроса — некорректный JSON: {exc.msg} (позиция {exc.pos}).") from None


def _array(text: str, i: int) -> tuple[list[str], int]:
    items: list[str] = []
    i = _ws(text, i + 1)
    if text.startswith("]", i):
        return items, i + 1
    while True:
        _obj, end = _value(text, i)
        items.append(text[i:end])
        i = _ws(text, end)
        if text.startswith("]", i):
            return items, i + 1
        if not text.startswith(",", i):
            raise BodyError(f"Тело запроса — некорректный JSON: ожидается «,» или «]» (позиция {i}).")
        i = _ws(text, i + 1)


def _events_of_object(text: str, i: int) -> tuple[list[str], int]:
    items: list[str] | None = None
    i = _ws(text, i + 1)
    if text.startswith("}", i):
        raise BodyError("В объекте нет списка «events».")
    while True:
        key, i = _value(text, i)
        if not isinstance(key, str):
            raise BodyError("Тело запроса — некорректный JSON: ключ объекта должен быть строкой.")
        i = _ws(text, i)
        if not text.startswith(":", i):
            raise BodyError(f"Тело запроса — некорректный JSON: ожидается «:» (позиция {i}).")
        i = _ws(text, i + 1)
        if key == "events":
            if not text.startswith("[", i):
                raise BodyError("«events» должен быть списком событий.")
            items, i = _array(text, i)
        else:
            _skipped, i = _value(text, i)
        i = _ws(text, i)
        if text.startswith("}", i):
            break
        if not text.startswith(",", i):
            raise BodyError(f"Тело запроса — некорректный JSON: ожидается «,» или «}}» (позиция {i}).")
        i = _ws(text, i + 1)
    if items is None:
        raise BodyError("В объекте нет списка «events».")
    return items, i + 1


def split_items(text: str) -> list[str]:
    """The items of a JSON list (or of the list under "events" in an object), each as the exact
    text it had in the body."""
    i = _ws(text, 0)
    if text.startswith("[", i):
        items, end = _array(text, i)
    elif text.startswith("{", i):
        items, end = _events_of_object(text, i)
    else:
        raise BodyError('Тело запроса — список событий JSON или объект {"events": [...]}.')
    if _ws(text, end) != len(text):
        raise BodyError(f"Тело запроса — некорректный JSON: лишние данные после списка (позиция {end}).")
    return items
