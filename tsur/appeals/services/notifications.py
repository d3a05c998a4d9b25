"""Messages to residents: recorded in the same transaction as the change they report, then
delivered after commit — by the channel the appeal came from, when one carries it, otherwise by
e-mail — and retried by the sweeper.

Channels are above appeals, so appeals does not know them: an app that can carry notifications
(tsur.channels: an answer in the social thread or the e-mail conversation the appeal came from)
registers a `Carrier`, which is offered every new batch of notifications inside the transaction
that records them, and takes over those it will deliver.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from django.db import DatabaseError, transaction

from tsur.appeals.models import Appeal, Notification
from tsur.core import tasks
from tsur.core.db import insert_rows

log = logging.getLogger(__name__)

CARRIED = "channel delivery"
NO_ADDRESS = "no address"


class Carrier(Protocol):
    # The notification kinds this carrier may take; those of other kinds are not offered to it.
    kinds: frozenset[str]

    def carry(self, notes: Sequence[Notification]) -> set[int]:
        """Take over the delivery of those of `notes` this carrier delivers (recording what it
        needs in the caller's transaction); return their ids."""
        ...


_carriers: dict[str, Carrier] = {}


def register_carrier(uid: str, carrier: Carrier) -> None:
    _carriers[uid] = carrier


def notify_resident(appeal: Appeal, kind: str, subject: str, body: str) -> Notification:
    """Record a notification; it is delivered after commit and retried by the sweeper."""
    return notify_residents([(appeal, subject, body)], kind)[0]


def notify_residents(messages: list[tuple[Appeal, str, str]], kind: str) -> list[Notification]:
    """Record notifications of one kind (appeal, subject, body) with one insert. Carriers take
    those they deliver; what nothing will send by e-mail is settled at once; e-mails are sent
    after commit."""
    notes = [Notification(appeal=appeal, kind=kind, subject=subject, body=body) for appeal, subject, body in messages]
    if any(kind in carrier.kinds for carrier in _carriers.values()):
        insert_rows(Notification, notes)
        settled = settle_unsendable(notes, carried=_carry(notes))
    else:
        # Nothing may carry this kind: what has no e-mail address is written settled, not
        # inserted and then updated (a new appeal's acknowledgement, on every intake request).
        for note in notes:
            if _no_address(note):
                note.state = Notification.State.SKIPPED
        insert_rows(Notification, notes)
        settled = {note.pk: NO_ADDRESS for note in notes if note.state == Notification.State.SKIPPED}
    ids = [note.pk for note in notes if note.pk not in settled]
    if ids:
        transaction.on_commit(lambda: tasks.enqueue_ids("deliver_notifications", ids))
    return notes


def _no_address(note: Notification) -> bool:
    resident = note.appeal.resident
    return resident is None or not resident.email


def _carry(notes: list[Notification]) -> set[int]:
    carried: set[int] = set()
    for uid, carrier in _carriers.items():
        try:
            # A savepoint: a carrier that fails must not undo the change the notice reports; the
            # resident then gets it by e-mail or on the status page.
            with transaction.atomic():
                carried |= carrier.carry(notes)
        except (DatabaseError, ValueError, TypeError):
            log.exception("carrier %s could not take %d notifications", uid, len(notes))
    return carried


def settle_unsendable(notes: Sequence[Notification], *, carried: set[int] = frozenset()) -> dict[int, str]:
    """Mark skipped the notifications nothing will send by e-mail: those a carrier took (a second
    e-mail would duplicate the answer in the resident's thread) and those of residents without an
    e-mail address (they read them on the status page). At most two updates for the lot. Returns
    {notification id: why} for those it settled."""
    settled = dict.fromkeys((note.pk for note in notes if note.pk in carried), CARRIED)
    for note in notes:
        if note.pk not in settled and _no_address(note):
            settled[note.pk] = NO_ADDRESS
    in_channel = [pk for pk, why in settled.items() if why == CARRIED]
    no_address = [pk for pk, why in settled.items() if why == NO_ADDRESS]
    if in_channel:
        Notification.objects.filter(pk__in=in_channel).update(state=Notification.State.SKIPPED, last_error="доставляется через канал")
    if no_address:
        Notification.objects.filter(pk__in=no_address).update(state=Notification.State.SKIPPED)
    return settled
