"""Background work of channels: listening, processing stored payloads, sending deliveries, and
the sweeper that re-enqueues whatever a lost queue message or a killed worker left behind.

Every task re-reads the database and claims its rows, so running one twice, or after the broker
lost its queue, is safe. `sweep(now)` is called from tsur.core.tasks.tick.
"""

from __future__ import annotations

import logging
import math
import time

from celery import shared_task
from django.conf import settings
from django.db.models import Q

import tsur.celery  # noqa: F401 - makes the project's Celery app (broker from settings) the current one
from tsur.core import clock

log = logging.getLogger(__name__)

# How long one processing task keeps claiming batches before it hands the worker back.
PROCESS_BUDGET_SECONDS = 10.0


@shared_task(name="tsur.channels.tasks.process_inbound", acks_late=True)
def process_inbound() -> dict:
    from tsur.channels import services

    totals: dict[str, int] = {}
    started = time.monotonic()
    while time.monotonic() - started < PROCESS_BUDGET_SECONDS:
        counts = services.process_pending()
        if not counts:
            break
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + value
    return totals


@shared_task(name="tsur.channels.tasks.poll_channel", acks_late=True)
def poll_channel(config_id: int) -> dict:
    from tsur.channels import listening

    return listening.poll_channel(config_id)


@shared_task(name="tsur.channels.tasks.send_delivery", acks_late=True)
def send_delivery(delivery_id: int) -> str:
    from tsur.channels import deliveries

    return deliveries.send(delivery_id)


@shared_task(name="tsur.channels.tasks.sweep")
def sweep_task() -> dict:
    return sweep(clock.now())


TASKS = {
    "process_inbound": process_inbound,
    "poll_channel": poll_channel,
    "send_delivery": send_delivery,
    "sweep": sweep_task,
}


def enqueue(name: str, *args: object) -> None:
    """Run in-process (embedded default) or send to Celery. Never raises: the rows in the database
    are the record of the work, and the sweeper re-enqueues it if this attempt is lost."""
    task = TASKS[name]
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            task.run(*args)
        else:
            task.delay(*args)
    except Exception:
        log.exception("channel task %s failed; the sweeper will retry it", name)


def sweep(now) -> dict:
    """Periodic: fail rows that exhausted their attempts, re-enqueue pending and expired-claim
    inbound rows, due deliveries and due polls, and purge old signals."""
    from tsur.channels import deliveries, listening, services
    from tsur.channels.models import InboundMessage

    State = InboundMessage.State
    expired = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    exhausted = InboundMessage.objects.filter(expired, state=State.PENDING, attempts__gte=services.MAX_INBOUND_ATTEMPTS).update(
        state=State.FAILED, claimed_until=None, claim_token="",
        last_error=f"обработка не удалась {services.MAX_INBOUND_ATTEMPTS} раз: нужна проверка оператора",
    )
    if exhausted:
        log.warning("sweeper: %d inbound messages failed after %d attempts", exhausted, services.MAX_INBOUND_ATTEMPTS)
    pending = InboundMessage.objects.filter(services.claimable(now)).count()
    batches = min(math.ceil(pending / services.batch_size()), 50)
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
