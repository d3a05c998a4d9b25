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


def period_ru(rate: str) -> str:
    """A django-ratelimit rate in Russian: «10/m» → «10 за минуту», «60/h» → «60 за час»."""
    count, _, period = rate.partition("/")
    unit = period.lstrip("0123456789") or "s"
    number = period[: len(period) - len(unit)]
    return f"{count} за {number + ' ' if number else ''}{PERIODS_RU.get(unit, unit)}"


def count(group: str, who: str, rates: list[str], *, request: HttpRequest | None = None) -> tuple[str, int] | None:
    """Count one hit of `who` in `group` against each rate; the exceeded rate with the longest wait
    (rate, seconds), or None. When the cache is down nothing is counted (fail open, logged): the
    platform goes on, the exact rules (a unique voter key, a source's own key) still hold."""
    exceeded: tuple[str, int] | None = None
    for rate in rates:
        try:
            usage = get_usage(request, group=group, key=lambda _group, _request: who, rate=rate, increment=True)
        except Exception:
            log.warning("rate limit cache unavailable: %s not counted", group, exc_info=True)
            return None
        if usage is not None and usage["should_limit"] and (exceeded is None or usage["time_left"] > exceeded[1]):
            exceeded = (rate, usage["time_left"])
    return exceeded


def check_intake(request: HttpRequest, *, key_id: int | None = None) -> None:
    """Count one intake request; raise Throttled when any limit is exceeded. `key_id`: the API
    key the request came with (counted per key), None: counted per client address."""
    if key_id is not None:
        rates, who = settings.TSUR_RATE_INTAKE_KEY, f"key:{key_id}"
    else:
        rates, who = settings.TSUR_RATE_INTAKE_ANONYMOUS, f"ip:{client_ip(request) or 'unknown'}"
    exceeded = count("tsur-intake", who, rates, request=request)
    if exceeded is not None:
        rate, wait = exceeded
        raise Throttled(
            f"Слишком много обращений подряд: не более {period_ru(rate)}. Повторите попытку через {wait} с.",
            retry_after=wait,
        )
