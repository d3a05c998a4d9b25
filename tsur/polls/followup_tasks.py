"""Background work of the follow-up after a fix (tsur.polls.followup): the task that sends the
recorded follow-ups, the sweeper that re-enqueues what a lost message left pending, and the job
that settles the residents' answers (the vote is cast by the residents' pages, which know nothing
of follow-ups; the settling reads the ballots)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from tsur.core.tasks import LOST_AFTER, REQUEUE_AT_MOST, background, enqueue_ids, periodic
from tsur.polls import followup
from tsur.polls.models import FollowUp


@background(followup.SEND_TASK)
def send_followups(ids: list[int]) -> int:
    return followup.send(ids)


@periodic("polls.followup_sweep")
def sweep_followups(now: dt.datetime) -> int:
    """Pending follow-ups nobody is working on (never enqueued, or a worker died) go again."""
    lost = now - LOST_AFTER
    stale = Q(claimed_at=None, created_at__lt=lost) | Q(claimed_at__lt=lost)
    ids = list(FollowUp.objects.filter(stale, state=FollowUp.State.PENDING).order_by("pk").values_list("pk", flat=True)[:REQUEUE_AT_MOST])
    enqueue_ids(followup.SEND_TASK, ids)
    return len(ids)


@periodic("polls.followup_answers")
def settle_followup_answers(now: dt.datetime) -> int:
    return followup.settle_answers()
