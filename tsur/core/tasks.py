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
    from tsur.appeals.models import Appeal, Status
    from tsur.appeals.services import take_to_moderation

    if not Appeal.objects.filter(pk=appeal_id, status=Status.RECEIVED).exists():
        return "already processed"
    from tsur.core.errors import TransitionNotAllowed

    if settings.TSUR_TRIAGE_ENABLED:
        try:
            from tsur.triage.services import triage_appeal

            triage_appeal(appeal_id)
        except Exception:
            log.exception("triage of appeal %s failed; it goes to moderation untriaged", appeal_id)

    try:
        take_to_moderation(appeal_id)
    except TransitionNotAllowed:
        return "already processed"
    return "moderation"


@shared_task(name="tsur.core.tasks.deliver_notification", acks_late=True)
def deliver_notification(notification_id: int) -> str:
    from tsur.appeals.models import Notification

    with transaction.atomic():
        claimed = Notification.objects.filter(
            pk=notification_id, state=Notification.State.PENDING, attempts__lt=MAX_NOTIFICATION_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
        if not claimed:
            return "not pending"
    note = Notification.objects.select_related("appeal__resident").get(pk=notification_id)
    resident = note.appeal.resident
    if hasattr(note, "delivery"):
        # The appeal came through a channel that answers in its own thread (social post, e-mail
        # reply with In-Reply-To): the channel delivery carries it, a second e-mail would duplicate it.
        Notification.objects.filter(pk=note.pk).update(state=Notification.State.SKIPPED, last_error="доставляется через канал")
        return "channel delivery"
    if resident is None or not resident.email:
        # The resident reads it on the status page (and in the channel once channels deliver).
        Notification.objects.filter(pk=note.pk).update(state=Notification.State.SKIPPED)
        return "no address"
    try:
        send_mail(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [resident.email])
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
    from tsur.deadlines.services import watch_deadlines

    now = clock.now()
    result = dict(watch_deadlines(now))
    result["auto_closed"] = auto_close_due(now)
    stale = now - dt.timedelta(minutes=1)
    stuck = list(Appeal.objects.filter(status=Status.RECEIVED, created_at__lt=stale).values_list("pk", flat=True)[:500])
    for pk in stuck:
        enqueue("process_new_appeal", pk)
    pending = list(
        Notification.objects.filter(state=Notification.State.PENDING, created_at__lt=stale).values_list("pk", flat=True)[:500]
    )
    for pk in pending:
        enqueue("deliver_notification", pk)
    result["requeued"] = len(stuck) + len(pending)
    from tsur.channels.tasks import sweep as sweep_channels

    result["channels"] = sweep_channels(now)
    return result


TASKS = {"process_new_appeal": process_new_appeal, "deliver_notification": deliver_notification, "tick": tick}


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
