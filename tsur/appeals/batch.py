"""The end of the background intake pipeline, for a batch of new appeals at once.

`take_to_moderation` and `auto_triage` change one appeal in a transaction of its own (lock, save,
event). The pipeline that follows a channel's batch or a busy widget does the same for tens of
appeals: locking them together, writing them and their events with a statement per table, in one
transaction, costs a few per cent of doing each on its own. Every appeal still gets the events
the one-by-one transitions write (`auto_triage` where triage proposed something, then
`take_to_moderation`), with the same data, and the same `appeal_changed` signal for each.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction

from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import Appeal, Event, Status
from tsur.appeals.services import (
    AUTO_TRIAGE_LABEL,
    SYSTEM,
    AutoTriage,
    appeal_changed,
    apply_proposal,
    auto_triage_reason,
)
from tsur.core.db import update_rows

log = logging.getLogger(__name__)

# Everything apply_proposal and the move to moderation can change on an appeal.
WRITTEN_FIELDS = (
    "status", "version", "search_text", "category", "block", "classification_source", "classification_confidence",
    "urgency", "urgency_reason", "regime", "queue", "territory", "place_source", "address",
    "due_at", "due_explain", "registration_due_at", "transfer_due_at",
)
MODERATION_REASON = "Первичная обработка завершена"


@dataclass
class Finished:
    """What `finish_intake` did: the appeals it took to moderation (in the order they came) and,
    by appeal id, what triage applied to each."""

    appeals: list[Appeal] = field(default_factory=list)
    applied: dict[int, dict] = field(default_factory=dict)


def finish_intake(
    appeal_ids: list[int],
    proposals: Callable[[list[Appeal]], dict[int, AutoTriage]] | None = None,
    after: Callable[[Finished], None] | None = None,
) -> Finished:
    """In one transaction: lock the batch's appeals that are still received (those another
    transaction holds, e.g. an operator taking one by hand, are skipped: it decides them), apply
    to each what `proposals(locked appeals)` proposes (the `auto_triage` event), take them to
    moderation (the `take_to_moderation` event), write them, then call `after` (still inside the
    transaction: the duplicate search and joins see the batch's places).

    An appeal whose proposal cannot be applied goes to moderation as it was received (logged);
    a database error rolls the whole batch back, so every appeal stays received for the sweeper.
    Running it twice does nothing the second time: only received appeals are taken."""
    from tsur.deadlines.services import DeadlineRules
    from tsur.directory.services import QueueLookup

    done = Finished()
    with transaction.atomic():
        locked = list(
            Appeal.objects.select_for_update(skip_locked=True)
            .filter(pk__in=appeal_ids, status=Status.RECEIVED)
            .order_by("received_at", "pk")
        )
        if not locked:
            return done
        proposed = proposals(locked) if proposals is not None else {}
        rules, queues = DeadlineRules(), QueueLookup()
        events: list[Event] = []
        for i, appeal in enumerate(locked):
            proposal = proposed.get(appeal.pk)
            if proposal is not None:
                try:
                    applied = apply_proposal(appeal, proposal, rules=rules, queues=queues)
                except DatabaseError:
                    raise  # the transaction is spoilt: the whole batch stays received for the sweeper
                except Exception:
                    log.exception("applying the triage of appeal %s failed; it goes to moderation as it is", appeal.pk)
                    appeal = locked[i] = Appeal.objects.get(pk=appeal.pk)  # drop what was half-applied
                else:
                    appeal.version += 1
                    done.applied[appeal.pk] = applied
                    data = {"applied": applied, **proposal.summary}
                    events.append(_event(appeal, "auto_triage", Status.RECEIVED, auto_triage_reason(applied), data, AUTO_TRIAGE_LABEL))
            appeal.status = TRANSITIONS["take_to_moderation"].target
            appeal.version += 1
            appeal.refresh_search_text()
            events.append(_event(appeal, "take_to_moderation", appeal.status, MODERATION_REASON, {}, SYSTEM))
        update_rows(Appeal, locked, WRITTEN_FIELDS)
        Event.objects.bulk_create(events)
        by_pk = {a.pk: a for a in locked}
        for event in events:
            appeal_changed.send(sender=Appeal, appeal=by_pk[event.appeal_id], event=event)
        done.appeals = locked
        if after is not None:
            after(done)
    return done


def _event(appeal: Appeal, kind: str, to_status: str, reason: str, data: dict, label: str) -> Event:
    return Event(
        appeal=appeal, kind=kind, actor=None, actor_label=label, from_status=Status.RECEIVED, to_status=to_status, reason=reason, data=data
    )
