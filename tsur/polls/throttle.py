"""Anti-abuse counters of the polls, counted in the Django cache like public intake
(tsur.core.throttle): code requests per client address, ballots per address and per device.

An address is shared by many people (a mobile operator's NAT, an office), so its limits are
generous and only stop floods; the exact rule — one vote per verified resident — is the ballot's
unique voter key, and codes per contact are counted in the database (tsur.polls.services.codes).
"""

from __future__ import annotations

from django.conf import settings

from tsur.core.throttle import Throttled, count, period_ru


def check_code_request(ip: str | None) -> None:
    exceeded = count("tsur-poll-code", f"ip:{ip or 'unknown'}", settings.TSUR_RATE_POLL_CODE_ADDRESS)
    if exceeded:
        rate, wait = exceeded
        raise Throttled(
            f"Слишком много запросов кода с вашего адреса: не более {period_ru(rate)}. Повторите через {wait} с.",
            retry_after=wait,
        )


def check_ballot(poll_id: int, ip: str | None, device: str | None) -> None:
    """Many ballots in one poll from one address or one device in a short time are throttled."""
    checks = [(f"ip:{ip or 'unknown'}", settings.TSUR_RATE_POLL_VOTE_ADDRESS)]
    if device:
        checks.append((f"device:{device[:64]}", settings.TSUR_RATE_POLL_VOTE_DEVICE))
    for who, rates in checks:
        exceeded = count(f"tsur-poll-vote-{poll_id}", who, rates)
        if exceeded:
            rate, wait = exceeded
            raise Throttled(
                f"С этого устройства или адреса слишком много голосов подряд: не более {period_ru(rate)}. Повторите через {wait} с.",
                retry_after=wait,
            )
