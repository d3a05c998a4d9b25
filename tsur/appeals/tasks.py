"""Background work of appeals: delivering notifications to residents, and the periodic job that
re-enqueues what a lost queue message left behind."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F

from tsur.appeals.models import Notification
from tsur.appeals.services import settle_unsendable
from tsur.core import clock
from tsur.core.tasks import LOST_AFTER, REQUEUE_AT_MOST, background, enqueue_ids, periodic

log = logging.getLogger(__name__)

MAX_NOTIFICATION_ATTEMPTS = 5


@background("deliver_notifications")
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Deliver a batch of notifications. They are claimed together in one short transaction
    (a pending one another worker holds is left to it); those the resident reads on the status
    page or gets through the channel's own delivery are settled (`settle_unsendable`; usually
    done already when they were recorded); only e-mails are sent one by one. A failed e-mail
    stays pending for the sweeper until its attempts run out."""
    with transaction.atomic():
        notes = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=notification_ids, state=Notification.State.PENDING, attempts__lt=MAX_NOTIFICATION_ATTEMPTS)
            .select_related("appeal__resident")
            .order_by("pk")
        )
        if not notes:
            return {"not pending": len(set(notification_ids))}
        ids = [note.pk for note in notes]
        Notification.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
        settled = settle_unsendable(notes)
    counts = {"not pending": len(set(notification_ids)) - len(notes)}
    for why in settled.values():
        counts[why] = counts.get(why, 0) + 1
    for note in notes:
        if note.pk in settled:
            continue
        note.attempts += 1
        outcome = _send(note)
        counts[outcome] = counts.get(outcome, 0) + 1
    return {k: v for k, v in counts.items() if v}


def _send(note: Notification) -> str:
    try:
        send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.appeal.resident.email])
    except Exception as exc:
        state = Notification.State.FAILED if note.attempts >= MAX_NOTIFICATION_ATTEMPTS else Notification.State.PENDING
        Notification.objects.filter(pk=note.pk).update(state=state, last_error=f"{type(exc).__name__}: {exc}"[:500])
        log.warning("notification %s delivery failed: %s", note.pk, type(exc).__name__)
        return "failed"
    Notification.objects.filter(pk=note.pk).update(state=Notification.State.SENT, sent_at=clock.now(), last_error="")
    return "sent"


@periodic("notifications_requeued")
def requeue_notifications(now: dt.datetime) -> int:
    pending = list(
        Notification.objects.filter(state=Notification.State.PENDING, created_at__lt=now - LOST_AFTER)
        .values_list("pk", flat=True)[:REQUEUE_AT_MOST]
    )
    enqueue_ids("deliver_notifications", pending)
    return len(pending)
