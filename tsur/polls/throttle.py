"""Anti-abuse counters of the polls, counted in the Django cache like public intake
(tsur.core.throttle): code requests per client address, ballots per address and per device.

An address is shared by many people (a mobile operator's NAT, an office), so its limits are
generous and only stop floods; the exact rule — one vote per verified resident — is the ballot's
unique voter key, and codes per contact are counted in the database (tsur.polls.services.codes).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django_ratelimit.core import get_usage

from tsur.core.throttle import Throttled, _period_ru

log = logging.getLogger(__name__)


def _count(group: str, who: str, rates: list[str]) -> tuple[str, int] | None:
    exceeded: tuple[str, int] | None = None
    for rate in rates:
        try:
            usage = get_usage(None, group=group, key=lambda _g, _r: who, rate=rate, increment=True)
        except Exception:  # the cache is down: voting goes on (the voter key still holds), and say so
            log.warning("rate limit cache unavailable: %s not counted", group, exc_info=True)
            return None
        if usage is not None and usage["should_limit"] and (exceeded is None or usage["time_left"] > exceeded[1]):
            exceeded = (rate, usage["time_left"])
    return exceeded


def check_code_request(ip: str | None) -> None:
    exceeded = _count("tsur-poll-code", f"ip:{ip or 'unknown'}", settings.TSUR_RATE_POLL_CODE_ADDRESS)
    if exceeded:
        rate, wait = exceeded
        raise Throttled(
            f"Слишком много запросов кода с вашего адреса: не более {_period_ru(rate)}. Повторите через {wait} с.",
            retry_after=wait,
        )


def check_ballot(poll_id: int, ip: str | None, device: str | None) -> None:
    """Many ballots in one poll from one address or one device in a short time are throttled."""
    checks = [(f"ip:{ip or 'unknown'}", settings.TSUR_RATE_POLL_VOTE_ADDRESS)]
    if device:
        checks.append((f"device:{device[:64]}", settings.TSUR_RATE_POLL_VOTE_DEVICE))
    for who, rates in checks:
        exceeded = _count(f"tsur-poll-vote-{poll_id}", who, rates)
        if exceeded:
            rate, wait = exceeded
            raise Throttled(
                f"С этого устройства или адреса слишком много голосов подряд: не более {_period_ru(rate)}. Повторите через {wait} с.",
                retry_after=wait,
            )
