"""The channels' share of the personal-data purge (tsur.appeals.services.retention).

A channel keeps every payload as it came (`InboundMessage.raw`): the author's name, account id and
profile link are in it, and `reply_to` says where to answer. When appeals pseudonymise a resident,
the payloads of their appeals are emptied here — appeals sit below channels and never import them,
so this listens to the `personal_data_purged` topic (after commit) and a periodic sweep catches
what a lost notification or a crash between the two left behind. The row (channel, time, state,
appeal) stays for the counts.

The same goes for what was sent back (`Delivery`): its `reply_to` (the chat, the author's account,
the e-mail address) is emptied and its text, an answer addressed to the resident, masked like the
answers' own (tsur.answers.retention). A delivery still waiting then has nowhere to go: it fails
with a reason the operator reads.

Wiring (the channels app's `ready`): `from tsur.channels import retention; retention.subscribe()`.
"""

from __future__ import annotations

import datetime as dt
import logging

from tsur.appeals.services.retention import personal_data_purged
from tsur.channels.deliveries import DUE_STATES
from tsur.channels.models import Delivery, InboundMessage
from tsur.core import clock
from tsur.core.tasks import periodic
from tsur.lib.pdmask import mask_personal_data

log = logging.getLogger(__name__)

SWEEP_AT_MOST = 5000
NOWHERE_TO_SEND = "Не отправлено: персональные данные жителя обезличены, адреса для ответа больше нет."


def empty_payloads(appeal_ids: list[int], now: dt.datetime | None = None) -> int:
    """Empty the raw payload, reply address and text of these appeals' inbound messages."""
    if not appeal_ids:
        return 0
    emptied = InboundMessage.objects.filter(appeal_id__in=appeal_ids, purged_at__isnull=True).update(
        raw={}, reply_to={}, text="", purged_at=now or clock.now()
    )
    if emptied:
        log.info("personal data purge: emptied %d inbound payloads", emptied)
    return emptied + empty_deliveries(appeal_ids)


def empty_deliveries(appeal_ids: list[int]) -> int:
    """Empty the reply address and mask the text of these appeals' deliveries (one by one: each
    text is masked on its own); those still due fail, with nowhere left to send them."""
    done = 0
    for delivery in Delivery.objects.filter(appeal_id__in=appeal_ids).only("pk", "text", "state", "reply_to"):
        masked = mask_personal_data(delivery.text, names=True)
        if not delivery.reply_to and masked == delivery.text:
            continue
        rows = Delivery.objects.filter(pk=delivery.pk)
        changes: dict = {"reply_to": {}, "text": masked}
        # Failed only while still due: a sender that has just settled it keeps its own outcome.
        if delivery.state in DUE_STATES and rows.filter(state__in=DUE_STATES).update(
            **changes, state=Delivery.State.FAILED, last_error=NOWHERE_TO_SEND, claimed_until=None, claim_token=""
        ):
            done += 1
            continue
        done += rows.update(**changes)
    if done:
        log.info("personal data purge: emptied %d deliveries", done)
    return done


@periodic("channels.pd_payloads")
def sweep_payloads(now: dt.datetime) -> int:
    """Payloads and deliveries of pseudonymised residents' appeals still holding data (the subscriber
    missed them)."""
    inbound = (
        InboundMessage.objects.filter(appeal__resident__pseudonymised_at__isnull=False, purged_at__isnull=True)
        .values_list("appeal_id", flat=True)
        .distinct()[:SWEEP_AT_MOST]
    )
    sent = (
        Delivery.objects.filter(appeal__resident__pseudonymised_at__isnull=False)
        .exclude(reply_to={})
        .values_list("appeal_id", flat=True)
        .distinct()[:SWEEP_AT_MOST]
    )
    return empty_payloads(sorted({*inbound, *sent}), now)


def subscribe() -> None:
    personal_data_purged.subscribe(lambda ids: empty_payloads(list(ids)), uid="tsur.channels.retention")
