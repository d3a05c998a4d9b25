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
    appeals): triage for all of them at once, then each is taken to moderation. One appeal's
    failure does not stop the others: it stays received, and `tick` enqueues it again."""
    return _process_new(appeal_ids)


def _process_new(appeal_ids: list[int]) -> dict[str, int]:
    from tsur.appeals.models import Appeal, Status
    from tsur.appeals.services import take_to_moderation
    from tsur.core.errors import TransitionNotAllowed

    received = set(Appeal.objects.filter(pk__in=appeal_ids, status=Status.RECEIVED).values_list("pk", flat=True))
    if received and settings.TSUR_TRIAGE_ENABLED:
        try:
            from tsur.triage.services import triage_appeals

            triage_appeals([pk for pk in appeal_ids if pk in received])
        except Exception:
            # Triage guards each appeal itself; this is a failure of the whole batch (the
            # database, the model not loading): the appeals go to moderation untriaged.
            log.exception("triage of appeals %s failed; they go to moderation untriaged", sorted(received))
    counts: dict[str, int] = {}
    for pk in appeal_ids:
        if pk not in received:
            outcome = "already processed"
        else:
            try:
                take_to_moderation(pk)
                outcome = "moderation"
            except TransitionNotAllowed:
                outcome = "already processed"  # joined to a problem by triage, or taken by an operator
            except Exception:
                log.exception("appeal %s was not taken to moderation; the sweeper will retry it", pk)
                outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@shared_task(name="tsur.core.tasks.deliver_notifications", acks_late=True)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """`deliver_notification` for each notification of a batch; a failed one stays pending for `tick`."""
    return _each(deliver_notification, notification_ids)


def _each(task, ids: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for pk in ids:
        try:
            outcome = task.run(pk)
        except Exception:
            log.exception("task %s(%s) failed; the sweeper will retry it", task.name, pk)
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


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
    messages of at most IDS_PER_MESSAGE ids."""
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
