"""Background work of triage: the intake follow-up of new appeals (triage, then the move to
moderation), started by appeals' `appeals_received` event, and the periodic job that re-enqueues
appeals a lost message left waiting."""

from __future__ import annotations

import datetime as dt
import logging

from tsur.appeals.models import Appeal, Status
from tsur.core.tasks import LOST_AFTER, REQUEUE_AT_MOST, background, enqueue_ids, gather_seconds, periodic
from tsur.triage.intake import finish_intake

log = logging.getLogger(__name__)


# A task takes, besides its own appeals, the others waiting received up to this many in all: a
# burst of single-appeal messages becomes a few batches (each pays the transaction, the reference
# reads and the engine call once), and the messages after them find their appeals done.
CLAIM_AT_MOST = 200



@background("process_new_appeals")
def process_new_appeals(appeal_ids: list[int]) -> dict[str, int]:
    """The intake pipeline for these appeals and the others waiting received (up to
    CLAIM_AT_MOST in all, claimed with SKIP LOCKED so two workers never take the same appeal):
    triage for all of them at once, then all are taken to moderation in one transaction
    (tsur.triage.intake). With a broker a message of a fresh appeal first waits
    `gather_seconds()` for the appeals arriving after it, so a steady stream is triaged in
    batches too, not only a backlog. Should that transaction fail, every appeal stays received
    and the sweeper enqueues it again; an appeal triage cannot read goes to moderation untriaged."""
    try:
        done = finish_intake(appeal_ids, at_most=CLAIM_AT_MOST, gather_seconds=gather_seconds())
    except Exception:
        log.exception("appeals %s were not taken to moderation; the sweeper will retry them", sorted(appeal_ids))
        return {"failed": len(appeal_ids)}
    taken = {a.pk for a in done.appeals}
    mine = set(appeal_ids)
    counts = {
        "moderation": len(taken & mine),
        "already processed": len(mine - taken),
        "taken along": len(taken - mine),
    }
    return {k: v for k, v in counts.items() if v}


@periodic("received_requeued")
def requeue_received(now: dt.datetime) -> int:
    stuck = list(Appeal.objects.filter(status=Status.RECEIVED, created_at__lt=now - LOST_AFTER).values_list("pk", flat=True)[:REQUEUE_AT_MOST])
    enqueue_ids("process_new_appeals", stuck)
    return len(stuck)
