"""Background work of appeals: delivering notifications to residents, and the periodic job that
re-enqueues what a lost queue message left behind."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, F

from tsur.appeals import photos
from tsur.appeals.models import Appeal, Notification, Status
from tsur.appeals.queries import overdue_q
from tsur.appeals.services import (
    retention,  # noqa: F401 - registers the periodic job pd_retention
    settle_unsendable,
)
from tsur.core import clock, metrics
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


# Once an hour (tick runs every minute): walking the attachments folder costs a directory scan.
ORPHAN_SCAN_MINUTE = 17


@periodic("attachment_orphans_removed")
def remove_orphan_attachments(now: dt.datetime) -> int:
    """Photo files left without their row by a process killed (or a database lost) between
    writing the file and committing the appeal; files younger than an hour are left alone."""
    if now.minute != ORPHAN_SCAN_MINUTE:
        return 0
    return photos.remove_orphan_files()


# --- /metrics: appeals waiting for the intake follow-up, notifications, overdue appeals -----------
metrics.queue("intake.received", lambda: Appeal.objects.filter(status=Status.RECEIVED), "created_at")
metrics.queue("appeals.notifications", lambda: Notification.objects.filter(state=Notification.State.PENDING), "created_at")
metrics.failed("appeals.notifications", lambda: Notification.objects.filter(state=Notification.State.FAILED))


@metrics.source("overdue")
def overdue_samples(now: dt.datetime) -> list[metrics.Sample]:
    rows = Appeal.objects.filter(overdue_q(now)).values("regime", "status").annotate(n=Count("pk")).order_by()
    return [metrics.sample("tsur_appeals_overdue", r["n"], regime=r["regime"], status=r["status"]) for r in rows]
