"""The channels' share of the personal-data purge (tsur.appeals.services.retention).

A channel keeps every payload as it came (`InboundMessage.raw`): the author's name, account id and
profile link are in it, and `reply_to` says where to answer. When appeals pseudonymise a resident,
the payloads of their appeals are emptied here — appeals sit below channels and never import them,
so this listens to the `personal_data_purged` topic (after commit) and a periodic sweep catches
what a lost notification or a crash between the two left behind. The row (channel, time, state,
appeal) stays for the counts.

Wiring (the channels app's `ready`): `from tsur.channels import retention; retention.subscribe()`.
"""

from __future__ import annotations

import datetime as dt
import logging

from tsur.appeals.services.retention import personal_data_purged
from tsur.channels.models import InboundMessage
from tsur.core import clock
from tsur.core.tasks import periodic

log = logging.getLogger(__name__)

SWEEP_AT_MOST = 5000


def empty_payloads(appeal_ids: list[int], now: dt.datetime | None = None) -> int:
    """Empty the raw payload, reply address and text of these appeals' inbound messages."""
    if not appeal_ids:
        return 0
    emptied = InboundMessage.objects.filter(appeal_id__in=appeal_ids, purged_at__isnull=True).update(
        raw={}, reply_to={}, text="", purged_at=now or clock.now()
    )
    if emptied:
        log.info("personal data purge: emptied %d inbound payloads", emptied)
    return emptied


@periodic("channels.pd_payloads")
def sweep_payloads(now: dt.datetime) -> int:
    """Payloads of pseudonymised residents' appeals still holding data (the subscriber missed them)."""
    ids = list(
        InboundMessage.objects.filter(appeal__resident__pseudonymised_at__isnull=False, purged_at__isnull=True)
        .values_list("appeal_id", flat=True)
        .distinct()[:SWEEP_AT_MOST]
    )
    return empty_payloads(ids, now)


def subscribe() -> None:
    personal_data_purged.subscribe(lambda ids: empty_payloads(list(ids)), uid="tsur.channels.retention")
