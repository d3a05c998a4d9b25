"""The platform's notion of "now". Production reads the system clock; the demo loader replays
history by setting the clock, so every timestamp and event it writes is consistent."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

_override: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("tsur_clock", default=None)


def now() -> dt.datetime:
    value = _override.get()
    return value if value is not None else timezone.now()


@contextlib.contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    token = _override.set(moment)
    try:
        yield
    finally:
        _override.reset(token)
