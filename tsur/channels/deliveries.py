"""Outbound: answers and notices published back in the channel an appeal came from.

A Delivery row is written in the same transaction as the notification that caused it (so the
answer and its delivery exist together or not at all) and sent after commit. Sending claims the
row with a conditional update; transient errors are retried with exponential backoff and jitter,
permanent ones leave the row failed with its reason for the operator. Delivery is at least once:
a worker that dies after the channel accepted the text but before the row was marked sends it
again (the channel contract has no idempotency key).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q

from tsur.appeals.event_labels import NOTIFICATION_LABELS, notification_label
from tsur.appeals.models import Appeal, Notification
from tsur.appeals.services import clarification
from tsur.channels.base import DeliveryError
from tsur.channels.models import Delivery, InboundMessage
from tsur.channels.policy import backoff, lease, setting
from tsur.core import clock, tasks

log = logging.getLogger(__name__)

# Notifications that are published back in the channel (configurable).
DELIVERED_KINDS = frozenset(setting("TSUR_CHANNEL_DELIVERED_KINDS", ("answer", "interim_answer", "extension", "clarification")))
DUE_STATES = (Delivery.State.PENDING, Delivery.State.RETRYING)


def max_attempts() -> int:
    return int(setting("TSUR_DELIVERY_MAX_ATTEMPTS", 8))


def delivery_text(note: Notification) -> str:
    """What is published. Channels may be public threads, so the text never carries the private
    status link (with its access key) that the resident's own notification has."""
    if note.kind == "answer":
        from tsur.answers.services import answer_for

        answer = answer_for(note.appeal)
        if answer is not None:
            return f"Ответ на обращение {note.appeal.number}:\n\n{answer.text}"
    if note.kind == clarification.NOTIFICATION_KIND:
        return clarification.public_text(note.body)  # the question, without the private link
    return note.body


def create_for_notification(note: Notification) -> Delivery | None:
    """The hook: a notification of a delivered kind for an appeal that came from a channel that
    can answer becomes a Delivery, sent after commit."""
    if note.kind not in DELIVERED_KINDS:
        return None
    inbound = (
        InboundMessage.objects.filter(appeal_id=note.appeal_id, state=InboundMessage.State.APPEAL)
        .select_related("channel")
        .order_by("pk")
        .first()
    )
    if inbound is None or not inbound.reply_to:
        return None  # not from a channel, or the channel has nowhere to answer (e.g. a ПОС import)
    delivery = Delivery.objects.create(
        appeal_id=note.appeal_id,
        notification=note,
        kind=note.kind,
        channel=inbound.channel,
        reply_to=inbound.reply_to,
        text=delivery_text(note),
    )
    transaction.on_commit(lambda: _enqueue(delivery.pk))
    return delivery


def _enqueue(delivery_id: int) -> None:
    tasks.enqueue("send_delivery", delivery_id)


def _due(now: dt.datetime) -> Q:
    return Q(state__in=DUE_STATES, next_attempt_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def due_ids(now: dt.datetime, limit: int = 500) -> list[int]:
    return list(Delivery.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[:limit])


def send(delivery_id: int) -> str:
    """Claim one due delivery and publish it through the channel's plugin."""
    now = clock.now()
    token = uuid.uuid4().hex
    claimed = Delivery.objects.filter(_due(now), pk=delivery_id).update(
        claimed_until=now + lease(), claim_token=token, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not due"
    d = Delivery.objects.select_related("channel", "appeal").get(pk=delivery_id)
    mine = Delivery.objects.filter(pk=d.pk, claim_token=token)
    if not d.channel.enabled:
        # Not the resident's fault and not permanent: wait for the channel to be enabled again.
        mine.update(
            attempts=F("attempts") - 1, claimed_until=None, claim_token="",
            next_attempt_at=now + dt.timedelta(minutes=10), last_error="канал отключён: отправка отложена",
        )
        return "channel disabled"
    try:
        plugin = d.channel.plugin()
    except Exception as exc:
        return _failed(d, mine, f"канал не настроен ({type(exc).__name__}): исправьте настройки и повторите отправку")
    try:
        external_id = plugin.deliver(d.reply_to, d.text)
    except DeliveryError as exc:
        if exc.retryable and d.attempts < max_attempts():
            return _retry(d, mine, exc.reason, exc.retry_after)
        suffix = f" (попыток: {d.attempts})" if exc.retryable else ""
        return _failed(d, mine, f"{exc.reason}{suffix}")
    except Exception as exc:  # network errors and plugin bugs: worth another try
        if d.attempts < max_attempts():
            return _retry(d, mine, f"ошибка отправки ({type(exc).__name__})", None)
        return _failed(d, mine, f"ошибка отправки ({type(exc).__name__}), попыток: {d.attempts}")
    with transaction.atomic():
        mine.update(
            state=Delivery.State.SENT, external_id=str(external_id or "")[:200], sent_at=clock.now(),
            last_error="", claimed_until=None, claim_token="",
        )
        _event(d, "channel_delivery_sent", f"Опубликовано в канале «{d.channel.name}»")
    return "sent"


def _retry(d: Delivery, mine, reason: str, retry_after: float | None) -> str:
    delay = backoff(d.attempts, base=60, cap=6 * 3600, retry_after=retry_after)
    mine.update(
        state=Delivery.State.RETRYING, last_error=reason[:1000], claimed_until=None, claim_token="",
        next_attempt_at=clock.now() + dt.timedelta(seconds=delay),
    )
    log.warning("delivery %s (%s): attempt %d failed, next in %.0f s: %s", d.pk, d.channel.code, d.attempts, delay, reason)
    return "retrying"


def _failed(d: Delivery, mine, reason: str) -> str:
    with transaction.atomic():
        mine.update(state=Delivery.State.FAILED, last_error=reason[:1000], claimed_until=None, claim_token="")
        _event(d, "channel_delivery_failed", f"Не удалось опубликовать в канале «{d.channel.name}»: {reason}")
    log.warning("delivery %s (%s) failed: %s", d.pk, d.channel.code, reason)
    return "failed"


def _event(d: Delivery, kind: str, reason: str) -> None:
    from tsur.appeals.services import log_event

    log_event(d.appeal, kind, None, reason=reason[:1000], data={"delivery": d.pk, "channel": d.channel.code, "kind": d.kind})


def retry_failed(ids) -> int:
    """An operator's "send again" for failed deliveries (after fixing a token, say)."""
    with transaction.atomic():
        failed = list(Delivery.objects.select_for_update().filter(pk__in=list(ids), state=Delivery.State.FAILED).values_list("pk", flat=True))
        Delivery.objects.filter(pk__in=failed).update(
            state=Delivery.State.PENDING, attempts=0, next_attempt_at=clock.now(), claimed_until=None, claim_token="", last_error=""
        )
        for pk in failed:
            transaction.on_commit(lambda pk=pk: _enqueue(pk))
    return len(failed)


@dataclass(frozen=True)
class DeliveryRow:
    """One line of the appeal card's "Публикация в канале" section."""

    id: int
    channel: str
    kind: str
    state: str
    state_label: str
    attempts: int
    last_error: str  # the visible reason of a failure or of the last retry
    created_at: dt.datetime
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime | None  # when a retrying delivery is tried again
    needs_operator: bool


# A delivery's kind is its notification's: named as the admin names it (tsur.appeals.event_labels).
KIND_LABELS = NOTIFICATION_LABELS


def deliveries_for(appeal: Appeal) -> list[DeliveryRow]:
    rows = []
    for d in Delivery.objects.filter(appeal=appeal).select_related("channel").order_by("created_at", "pk"):
        rows.append(
            DeliveryRow(
                id=d.pk,
                channel=d.channel.name,
                kind=notification_label(d.kind) if d.kind else "Сообщение",
                state=d.state,
                state_label=d.get_state_display(),
                attempts=d.attempts,
                last_error=d.last_error,
                created_at=d.created_at,
                sent_at=d.sent_at,
                next_attempt_at=d.next_attempt_at if d.state == Delivery.State.RETRYING else None,
                needs_operator=d.state == Delivery.State.FAILED,
            )
        )
    return rows
