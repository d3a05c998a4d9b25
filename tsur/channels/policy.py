"""How channels pace their work: platform settings with their defaults (docs/channels.md), the
lease of a claimed row or poll, the processing batch, and the backoff of retries."""

from __future__ import annotations

import datetime as dt
import random

from django.conf import settings

# A row whose processing failed this many times (each claim counts) is failed for an operator.
MAX_INBOUND_ATTEMPTS = 10


def setting(name: str, default):
    """Channel settings with their defaults (documented in docs/channels.md)."""
    return getattr(settings, name, default)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=setting("TSUR_CHANNEL_LEASE_SECONDS", 120))


def batch_size() -> int:
    return int(setting("TSUR_CHANNEL_BATCH", 500))


def backoff(attempt: int, *, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`: exponential, capped, with jitter (half the
    delay is random) so many failed items do not all come back in the same second. A service
    that said when to come back (rate limit) is never retried earlier than that."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after:
        delay = max(delay, min(float(retry_after), 24 * 3600.0))
    return delay
