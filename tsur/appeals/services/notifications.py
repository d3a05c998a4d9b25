"""Messages to residents: recorded in the same transaction as the change they report, then
delivered after commit (by e-mail, or by the channel the appeal came from), retried by the sweeper."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save

from tsur.appeals.models import (
    Appeal,
    Notification,
)
from tsur.core import tasks
from tsur.core.db import copy_rows


def notify_resident(appeal: Appeal, kind: str, subject: str, body: str) -> Notification:
    """Record a notification; it is delivered after commit and retried by the sweeper."""
    return notify_residents([(appeal, subject, body)], kind)[0]


def notify_residents(messages: list[tuple[Appeal, str, str]], kind: str) -> list[Notification]:
    """Record notifications of one kind (appeal, subject, body) with one insert; each is delivered
    after commit and retried by the sweeper."""
    notes = [Notification(appeal=appeal, kind=kind, subject=subject, body=body) for appeal, subject, body in messages]
    copy_rows(Notification, notes, with_ids=True)
    # A bulk insert sends no post_save; receivers (a channel turning an answer into a delivery in
    # the same transaction) must still see every notification, as after a save().
    for note in notes:
        post_save.send(sender=Notification, instance=note, created=True, update_fields=None, raw=False, using=note._state.db)
    # What nothing will send (the resident has no e-mail, or the channel delivers it) is settled
    # here, as the delivery task would settle it right after commit; only e-mails are scheduled.
    settled = settle_unsendable(notes)
    ids = [note.pk for note in notes if note.pk not in settled]
    if ids:
        transaction.on_commit(lambda: tasks.enqueue_ids("deliver_notifications", ids))
    return notes


def settle_unsendable(notes: list[Notification]) -> dict[int, str]:
    """Mark skipped the notifications nothing will send by e-mail: those a channel delivery
    carries (the appeal came through a channel that answers in its own thread: a social post, an
    e-mail reply with In-Reply-To; a second e-mail would duplicate it) and those of residents
    without an e-mail address (they read them on the status page). One query and at most two
    updates for the lot. Returns {notification id: why} for those it settled."""
    if not notes:
        return {}
    ids = [note.pk for note in notes]
    settled = dict.fromkeys(
        Notification.objects.filter(pk__in=ids, delivery__isnull=False).values_list("pk", flat=True), "channel delivery"
    )
    for note in notes:
        resident = note.appeal.resident
        if note.pk not in settled and (resident is None or not resident.email):
            settled[note.pk] = "no address"
    in_channel = [pk for pk, why in settled.items() if why == "channel delivery"]
    no_address = [pk for pk, why in settled.items() if why == "no address"]
    if in_channel:
        Notification.objects.filter(pk__in=in_channel).update(state=Notification.State.SKIPPED, last_error="доставляется через канал")
    if no_address:
        Notification.objects.filter(pk__in=no_address).update(state=Notification.State.SKIPPED)
    return settled
