"""Rate limits of public intake (django-ratelimit counting in the Django cache).

Without an API key a client is counted by its address; with one, by the key, under the larger
limits integrations need. Every configured limit applies (e.g. 10 a minute and 60 an hour).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import get_usage

from tsur.core.clients import client_ip
from tsur.core.errors import DomainError

log = logging.getLogger(__name__)
PERIODS_RU = {"s": "секунду", "m": "минуту", "h": "час", "d": "сутки"}


class Throttled(DomainError):
    code = "throttled"
    http_status = 429

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, retry_after)


def _period_ru(rate: str) -> str:
    count, _, period = rate.partition("/")
    unit = period.lstrip("0123456789") or "s"
    number = period[: len(period) - len(unit)]
    return f"{count} за {number + ' ' if number else ''}{PERIODS_RU.get(unit, unit)}"


def check_intake(request: HttpRequest, *, key_id: int | None = None) -> None:
    """Count one intake request; raise Throttled when any limit is exceeded. `key_id`: the API
    key the request came with (counted per key), None: counted per client address."""
    if key_id is not None:
        rates, who = settings.TSUR_RATE_INTAKE_KEY, f"key:{key_id}"
    else:
        rates, who = settings.TSUR_RATE_INTAKE_ANONYMOUS, f"ip:{client_ip(request) or 'unknown'}"
    exceeded = None
    for rate in rates:
        try:
            usage = get_usage(request, group="tsur-intake", key=lambda _group, _request: who, rate=rate, increment=True)
        except Exception:  # the cache server is down: intake must go on (fail open), and say so
            log.warning("rate limit cache unavailable: intake not counted", exc_info=True)
            return
        if usage is not None and usage["should_limit"] and (exceeded is None or usage["time_left"] > exceeded[1]):
            exceeded = (rate, usage["time_left"])
    if exceeded is not None:
        rate, wait = exceeded
        raise Throttled(
            f"Слишком много обращений подряд: не более {_period_ru(rate)}. Повторите попытку через {wait} с.",
            retry_after=wait,
        )
