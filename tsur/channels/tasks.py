"""Background work of channels: listening, processing stored payloads, sending deliveries, and
the sweeper that re-enqueues whatever a lost queue message or a killed worker left behind.

Every task re-reads the database and claims its rows, so running one twice, or after the broker
lost its queue, is safe. `sweep(now)` is a periodic job of tsur.core.tasks.tick.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time

from django.db.models import Q

from tsur.channels import claiming, deliveries, listening, policy, processing
from tsur.channels.models import ChannelConfig, Delivery, InboundMessage
from tsur.core import metrics
from tsur.core.tasks import background, enqueue, periodic

log = logging.getLogger(__name__)

# How long one processing task keeps claiming batches before it hands the worker back.
PROCESS_BUDGET_SECONDS = 10.0


@background("process_inbound")
def process_inbound() -> dict:
    totals: dict[str, int] = {}
    started = time.monotonic()
    while time.monotonic() - started < PROCESS_BUDGET_SECONDS:
        counts = processing.process_pending()
        if not counts:
            break
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals


@background("poll_channel")
def poll_channel(config_id: int) -> dict:
    return listening.poll_channel(config_id)


@background("send_delivery")
def send_delivery(delivery_id: int) -> str:
    return deliveries.send(delivery_id)


@periodic("channels")
def sweep(now: dt.datetime) -> dict:
    """Periodic: fail rows that exhausted their attempts, re-enqueue pending and expired-claim
    inbound rows, due deliveries and due polls, and purge old signals."""
    State = InboundMessage.State
    expired = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    exhausted = InboundMessage.objects.filter(expired, state=State.PENDING, attempts__gte=policy.MAX_INBOUND_ATTEMPTS).update(
        state=State.FAILED, claimed_until=None, claim_token="",
        last_error=f"обработка не удалась {policy.MAX_INBOUND_ATTEMPTS} раз: нужна проверка оператора",
    )
    if exhausted:
        log.warning("sweeper: %d inbound messages failed after %d attempts", exhausted, policy.MAX_INBOUND_ATTEMPTS)
    pending = InboundMessage.objects.filter(claiming.claimable(now)).count()
    batches = min(math.ceil(pending / policy.batch_size()), 50)
    for _ in range(batches):
        enqueue("process_inbound")
    due = deliveries.due_ids(now)
    for pk in due:
        enqueue("send_delivery", pk)
    polls = listening.due_channels(now)
    for pk in polls:
        enqueue("poll_channel", pk)
    purged = listening.purge_signals(now)
    return {
        "inbound_pending": pending,
        "inbound_failed": exhausted,
        "deliveries_due": len(due),
        "polls": len(polls),
        "signals_purged": purged,
    }


# --- /metrics: raw messages and answers waiting, what gave up, each channel's health --------------
metrics.queue("channels.inbound", lambda: InboundMessage.objects.filter(state=InboundMessage.State.PENDING), "received_at")
metrics.queue(
    "channels.deliveries",
    lambda: Delivery.objects.filter(state__in=[Delivery.State.PENDING, Delivery.State.RETRYING]),
    "created_at",
)
metrics.failed("channels.inbound", lambda: InboundMessage.objects.filter(state=InboundMessage.State.FAILED))
metrics.failed("channels.deliveries", lambda: Delivery.objects.filter(state=Delivery.State.FAILED))


@metrics.source("channels")
def channel_samples(now: dt.datetime) -> list[metrics.Sample]:
    out = []
    for c in ChannelConfig.objects.only("code", "enabled", "last_polled_at", "failures"):
        since = (now - c.last_polled_at).total_seconds() if c.last_polled_at else -1
        out += [
            metrics.sample("tsur_channel_enabled", int(c.enabled), channel=c.code),
            metrics.sample("tsur_channel_seconds_since_poll", since, channel=c.code),
            metrics.sample("tsur_channel_consecutive_errors", c.failures, channel=c.code),
        ]
    return out
