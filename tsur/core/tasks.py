"""Background work. The database is the source of truth: every task re-reads its row, claims it
with a conditional update and can run twice safely; `tick` sweeps up whatever a lost queue
message left behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F

from tsur.core import clock

log = logging.getLogger(__name__)

MAX_NOTIFICATION_ATTEMPTS = 5


@shared_task(name="tsur.core.tasks.process_new_appeal", acks_late=True)
def process_new_appeal(appeal_id: int) -> str:
    counts = _process_new([appeal_id])
    return next(iter(counts))


@shared_task(name="tsur.core.tasks.process_new_appeals", acks_late=True)
def process_new_appeals(appeal_ids: list[int]) -> dict[str, int]:
    """The intake pipeline for a batch of appeals created together (one queue message for many
    appeals): triage for all of them at once, then all are taken to moderation in one transaction
    (tsur.appeals.batch). Should that transaction fail, every appeal stays received and `tick`
    enqueues it again; an appeal triage cannot read goes to moderation untriaged."""
    return _process_new(appeal_ids)


def _process_new(appeal_ids: list[int]) -> dict[str, int]:
    from tsur.appeals.batch import finish_intake

    try:
        done = finish_intake(appeal_ids)
    except Exception:
        log.exception("appeals %s were not taken to moderation; the sweeper will retry them", sorted(appeal_ids))
        return {"failed": len(appeal_ids)}
    moved = len(done.appeals)
    counts = {"moderation": moved, "already processed": len(set(appeal_ids)) - moved}
    return {k: v for k, v in counts.items() if v}


@shared_task(name="tsur.core.tasks.deliver_notifications", acks_late=True)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Deliver a batch of notifications. They are claimed together in one short transaction
    (a pending one another worker holds is left to it); those the resident reads on the status
    page or gets through the channel's own delivery are settled (`settle_unsendable`; usually
    done already when they were recorded); only e-mails are sent one by one. A failed e-mail
    stays pending for `tick` until its attempts run out."""
    from tsur.appeals.models import Notification
    from tsur.appeals.services import settle_unsendable

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


@shared_task(name="tsur.core.tasks.deliver_notification", acks_late=True)
def deliver_notification(notification_id: int) -> str:
    counts = deliver_notifications.run([notification_id])
    return next(iter(counts))


def _send(note) -> str:
    from tsur.appeals.models import Notification

    try:
        send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.appeal.resident.email])
    except Exception as exc:
        state = Notification.State.FAILED if note.attempts >= MAX_NOTIFICATION_ATTEMPTS else Notification.State.PENDING
        Notification.objects.filter(pk=note.pk).update(state=state, last_error=f"{type(exc).__name__}: {exc}"[:500])
        log.warning("notification %s delivery failed: %s", note.pk, type(exc).__name__)
        return "failed"
    Notification.objects.filter(pk=note.pk).update(state=Notification.State.SENT, sent_at=clock.now(), last_error="")
    return "sent"


@shared_task(name="tsur.core.tasks.tick")
def tick() -> dict:
    """Periodic jobs: deadlines, auto-closing, and re-enqueueing work a lost message left behind."""
    from tsur.answers.services import auto_close_due
    from tsur.appeals.models import Appeal, Notification, Status
    from tsur.deadlines.watch import watch_deadlines

    now = clock.now()
    result = dict(watch_deadlines(now))
    result["auto_closed"] = auto_close_due(now)
    stale = now - dt.timedelta(minutes=1)
    stuck = list(Appeal.objects.filter(status=Status.RECEIVED, created_at__lt=stale).values_list("pk", flat=True)[:500])
    enqueue_ids("process_new_appeals", stuck)
    pending = list(
        Notification.objects.filter(state=Notification.State.PENDING, created_at__lt=stale).values_list("pk", flat=True)[:500]
    )
    enqueue_ids("deliver_notifications", pending)
    result["requeued"] = len(stuck) + len(pending)
    from tsur.channels.tasks import sweep as sweep_channels

    result["channels"] = sweep_channels(now)
    return result


TASKS = {
    "process_new_appeal": process_new_appeal,
    "process_new_appeals": process_new_appeals,
    "deliver_notification": deliver_notification,
    "deliver_notifications": deliver_notifications,
    "tick": tick,
}
# Work for a batch travels in messages of at most this many ids: a broker round trip per message
# costs about as much as creating an appeal, while several workers can still share a large batch.
IDS_PER_MESSAGE = 25


def enqueue(name: str, *args: object) -> None:
    """Run in-process (embedded default) or send to Celery. Never raises: the row in the database
    is the record of the work, and `tick` re-enqueues it if this attempt is lost."""
    task = TASKS[name]
    try:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            task.run(*args)
        else:
            task.delay(*args)
    except Exception:
        log.exception("task %s(%s) failed; the sweeper will retry it", name, args)


def enqueue_ids(name: str, ids: list[int]) -> None:
    """Enqueue a batch task (`process_new_appeals`, `deliver_notifications`) for these ids, in
    messages of at most IDS_PER_MESSAGE ids. Run in-process (the embedded default), the whole
    batch is one call: there is no other worker to share it with."""
    if not ids:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        enqueue(name, list(ids))
        return
    for start in range(0, len(ids), IDS_PER_MESSAGE):
        enqueue(name, ids[start : start + IDS_PER_MESSAGE])


class InProcessScheduler(threading.Thread):
    """The embedded default's stand-in for celery beat: runs `tick` every `interval` seconds."""

    def __init__(self, interval: int):
        super().__init__(name="tsur-tick", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import close_old_connections

        while not self.stopped.wait(self.interval):
            close_old_connections()
            try:
                tick.run()
            except Exception:
                log.exception("in-process tick failed")
