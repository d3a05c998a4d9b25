"""Periodic work of the polls (registered with tsur.core.tasks, run by `tick`)."""

from __future__ import annotations

import datetime as dt

from tsur.core.tasks import periodic
from tsur.polls.models import Poll, Status, VerificationCode
from tsur.polls.services.building import close_poll

# A used or expired code is kept this long (the attempts and pauses count over it), then deleted:
# the contact's hash beside the poll is not kept longer than verification needs it.
CODES_KEPT = dt.timedelta(days=1)


@periodic("polls.close_ended")
def close_ended_polls(now: dt.datetime) -> int:
    """Published polls whose end has passed are closed (by the system: the audit shows no actor)."""
    closed = 0
    for poll in Poll.objects.filter(status=Status.PUBLISHED, ends_at__lte=now):
        close_poll(poll, None, reason="ended")
        closed += 1
    return closed


@periodic("polls.purge_codes")
def purge_codes(now: dt.datetime) -> int:
    deleted, _ = VerificationCode.objects.filter(created_at__lt=now - CODES_KEPT).delete()
    return deleted
