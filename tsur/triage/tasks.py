"""Background work of triage: the intake follow-up of new appeals (triage, then the move to
moderation), started by appeals' `appeals_received` event, and the periodic job that re-enqueues
appeals a lost message left waiting."""

from __future__ import annotations

import datetime as dt
import logging

from tsur.appeals.models import Appeal, Status
from tsur.core.tasks import LOST_AFTER, REQUEUE_AT_MOST, background, enqueue_ids, periodic
from tsur.triage.intake import finish_intake

log = logging.getLogger(__name__)



@background("process_new_appeals")
def process_new_appeals(appeal_ids: list[int]) -> dict[str, int]:
    """The intake pipeline for a batch of appeals created together (one queue message for many
    appeals): triage for all of them at once, then all are taken to moderation in one transaction
    (tsur.triage.intake). Should that transaction fail, every appeal stays received and the
    sweeper enqueues it again; an appeal triage cannot read goes to moderation untriaged."""
    try:
        done = finish_intake(appeal_ids)
    except Exception:
        log.exception("appeals %s were not taken to moderation; the sweeper will retry them", sorted(appeal_ids))
        return {"failed": len(appeal_ids)}
    moved = len(done.appeals)
    counts = {"moderation": moved, "already processed": len(set(appeal_ids)) - moved}
    return {k: v for k, v in counts.items() if v}


@periodic("received_requeued")
def requeue_received(now: dt.datetime) -> int:
    stuck = list(
        Appeal.objects.filter(status=Status.RECEIVED, created_at__lt=now - LOST_AFTER).values_list("pk", flat=True)[:REQUEUE_AT_MOST]
    )
    enqueue_ids("process_new_appeals", stuck)
    return len(stuck)
