"""The situation center's figures, kept for a while in the shared cache.

Every figure on the center's pages is region-wide (the pages are open to the region's roles only,
tsur.workspace.center.guards) and depends only on the filters and the day. Computing them took
40–80 ms of a web worker's processor per page view; they are now computed once per
`TSUR_CENTER_FIGURES_SECONDS` (30 s) for every user and every host, and each page says when its
figures were computed. 0 computes them on every view. When the cache cannot be reached the figures
are computed as before (logged): a page never fails for it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from tsur.core import clock

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Kept:
    value: Any
    at: dt.datetime  # when the figures were computed


def kept(page: str, key: str, compute: Callable[[], Any]) -> Kept:
    """The figures of `page` for `key` (the filters and the day), computed by `compute` unless
    another view computed them less than the period ago."""
    seconds = settings.TSUR_CENTER_FIGURES_SECONDS
    if seconds <= 0:
        return Kept(compute(), clock.now())
    name = f"tsur:center:{page}:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
    try:
        found = cache.get(name)
    except Exception:
        log.warning("center figures: the cache is unavailable, computed for this view", exc_info=True)
        return Kept(compute(), clock.now())
    if isinstance(found, Kept):
        return found
    fresh = Kept(compute(), clock.now())
    try:
        cache.set(name, fresh, seconds)
    except Exception:
        log.warning("center figures: not kept, the cache is unavailable", exc_info=True)
    return fresh


def when(shown: Kept) -> dict:
    """What a page says of its figures' age: when they were computed, and how often they are."""
    return {"figures_at": shown.at, "figures_period": settings.TSUR_CENTER_FIGURES_SECONDS}
