"""Background work of objective monitoring, through tsur.core.tasks.

The record of every piece of work is in the database first: an event waiting for the matcher has
`matched_at` null (the intake writes it so, and a new version sets it back), an appeal waiting is
a `PendingAppeal` row. Subscribers enqueue; the sweepers re-enqueue what a lost message left
behind; the periodic jobs end quiet camera events and find answers the events contradict once
their grace period has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from tsur.appeals.events import AppealChange
from tsur.core import metrics
from tsur.core.tasks import LOST_AFTER, REQUEUE_AT_MOST, background, enqueue_ids, gather_seconds, periodic
from tsur.monitoring import closure, matching
from tsur.monitoring.models import MonitoringEvent, PendingAppeal

# Changes of an appeal that move it in place, topic or time of answer, or refuse it: its links are
# looked for again (a refused appeal keeps none of the matcher's).
REMATCH_KINDS = frozenset({"created", "reclassify", "change_place", "auto_triage", "reject", "publish_answer", "deliver_problem_answer"})
# Changes after which only the roles of its links are looked at again (what the answer claimed).
RE_EVALUATE_KINDS = frozenset({"rate_satisfied", "reopen", "reopen_member", "auto_close", "confirm_resolution", "join_problem"})


def on_events_recorded(event_ids: Sequence[int]) -> None:
    """Subscriber of events_recorded: the rows wait with matched_at null; match them now."""
    enqueue_ids("monitoring_match_events", sorted(set(event_ids)))


def on_appeals_changed(changes: Sequence[AppealChange]) -> None:
    """Subscriber of appeal_changed: record the appeals to match, then enqueue."""
    rematch = matching.mark_appeals(c.appeal_id for c in changes if c.kind in REMATCH_KINDS)
    enqueue_ids("monitoring_match_appeals", rematch)
    again = sorted({c.appeal_id for c in changes if c.kind in RE_EVALUATE_KINDS} - set(rematch))
    enqueue_ids("monitoring_evaluate", again)


@background("monitoring_match_events")
def match_events(event_ids: list[int]) -> int:
    """Match those of these events still waiting; an event another worker matched is skipped."""
    waiting = list(MonitoringEvent.objects.filter(pk__in=event_ids, matched_at__isnull=True).values_list("pk", flat=True))
    if not waiting:
        return 0
    return matching.match_pending_ids(waiting)


# A task matches, besides its own appeals, the others waiting up to this many in all.
CLAIM_APPEALS_AT_MOST = 200


@background("monitoring_match_appeals")
def match_appeals(appeal_ids: list[int]) -> int:
    """Match these appeals and the others waiting (up to CLAIM_APPEALS_AT_MOST, claimed with SKIP
    LOCKED); a message whose appeals another batch matched stops after one statement. With a
    broker a message of a freshly marked appeal first waits TSUR_INTAKE_GATHER_SECONDS (1 s)
    for the appeals marked after it, as the intake follow-up does."""
    return len(matching.match_waiting_appeals(appeal_ids, CLAIM_APPEALS_AT_MOST, gather_seconds()))


@background("monitoring_evaluate")
def evaluate(appeal_ids: list[int]) -> int:
    return len(closure.evaluate(appeal_ids))


@periodic("monitoring_requeued")
def requeue(now: dt.datetime) -> int:
    """Events and appeals recorded as waiting longer than a minute: their message was lost."""
    lost = now - LOST_AFTER
    events = list(
        MonitoringEvent.objects.filter(matched_at__isnull=True, received_at__lt=lost)
        .order_by("received_at")
        .values_list("pk", flat=True)[:REQUEUE_AT_MOST]
    )
    appeals = list(PendingAppeal.objects.filter(marked_at__lt=lost).order_by("marked_at").values_list("appeal_id", flat=True)[:REQUEUE_AT_MOST])
    enqueue_ids("monitoring_match_events", events)
    enqueue_ids("monitoring_match_appeals", appeals)
    return len(events) + len(appeals)


@periodic("monitoring_quiet")
def quiet(now: dt.datetime) -> int:
    """Camera events with no new detection near them for their quiet period end."""
    return closure.resolve_quiet(now)


@periodic("monitoring_contradictions")
def contradictions(now: dt.datetime) -> int:
    """Answers whose grace period has passed while a linked event is still active."""
    ids = closure.due_contradictions(now)
    if ids:
        closure.evaluate(ids, now)
    return len(ids)


# --- /metrics: events and appeals waiting for the matcher -------------------------------------------
metrics.queue("monitoring.events", lambda: MonitoringEvent.objects.filter(matched_at__isnull=True), "received_at")
metrics.queue("monitoring.appeals", lambda: PendingAppeal.objects.all(), "marked_at")
