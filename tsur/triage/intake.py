"""The end of the intake pipeline, for a batch of new appeals at once.

`take_to_moderation` and `auto_triage` change one appeal in a transaction of its own (lock, save,
event). The pipeline that follows a channel's batch or a busy widget does the same for tens of
appeals, with a statement per table, in one transaction. Every appeal still gets the events the
one-by-one transitions write (`auto_triage` where triage proposed something, then
`take_to_moderation`), with the same data, published to `appeal_changed` after commit. Statuses
move through the lifecycle's door for batch writes (`step`).

It is triage's reaction to new appeals: appeals publishes the ids of those waiting
(`appeals_received`), triage subscribes (tsur.triage.apps) and runs this in the background.

Two ways in:

* `finish_intake(ids, at_most=…)`: appeals already stored as received (a widget's, the API's):
  claim them (and the others waiting, up to `at_most`), triage, move them on, write them back.
  The background task `process_new_appeals` runs it.

Either way near-duplicates are joined after the batch has committed, all of the batch's joins in
one short transaction of their own (`join_duplicates` → `join_to_problems`).
* `IntakeAtCreation`: a channel's batch (`create_appeals(..., intake=IntakeAtCreation())`): the
  appeals are triaged and taken to moderation before they are first inserted, so each row is
  written once, not inserted and then updated; the channel's stored inbound rows are the record
  of the work in flight until then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Case, IntegerField, Value, When

from tsur.appeals.events import AppealChange, appeal_changed
from tsur.appeals.models import Appeal, Event, Status
from tsur.appeals.services import (
    AUTO_TRIAGE_LABEL,
    SYSTEM,
    AutoTriage,
    apply_proposal,
    auto_triage_reason,
)
from tsur.appeals.services.transitions import step
from tsur.core.db import copy_rows, update_rows
from tsur.core.tasks import gather
from tsur.deadlines.services import DeadlineRules, apply_deadlines
from tsur.directory.services import QueueLookup
from tsur.triage.services import TriageBatch

log = logging.getLogger(__name__)

# Everything apply_proposal and the move to moderation can change on an appeal.
WRITTEN_FIELDS = (
    "status", "version", "search_text", "category", "block", "classification_source", "classification_confidence",
    "urgency", "urgency_reason", "regime", "queue", "territory", "place_source", "address",
    "due_at", "due_explain", "registration_due_at", "transfer_due_at",
)  # fmt: skip
MODERATION_REASON = "Первичная обработка завершена"


@dataclass
class Finished:
    """What the pipeline did: the appeals it took to moderation (in the order they came) and, by
    appeal number, what triage applied to each."""

    appeals: list[Appeal] = field(default_factory=list)
    applied: dict[str, dict] = field(default_factory=dict)


class Triage(Protocol):
    """What the pipeline needs of triage (tsur.triage.services.TriageBatch)."""

    def proposals(self, appeals: list[Appeal]) -> dict[str, AutoTriage]:
        """What to apply, by appeal number; the decisions are kept, not yet stored."""

    def store(self) -> None:
        """Store the decisions (the appeals have ids now) and fill the proposals' summaries."""

    def after(self, done: Finished) -> None:
        """Work that needs the batch committed (the duplicate search and joins)."""


def triage_for(appeals: list[Appeal]) -> Triage | None:
    """The triage of a batch, or None when triage is off or cannot run at all (the model does not
    load, the database fails): the appeals then go to moderation untriaged."""
    if not settings.TSUR_TRIAGE_ENABLED or not appeals:
        return None
    try:
        return TriageBatch(appeals)
    except Exception:
        log.exception("triage of %s appeals failed; they go to moderation untriaged", len(appeals))
        return None


def finish_intake(appeal_ids: list[int], *, at_most: int = 0, gather_seconds: float = 0.0) -> Finished:
    """Triage and take to moderation the batch's appeals that are still received, and with them
    (`at_most` > 0) the other appeals waiting received, oldest first, up to `at_most` in all: under
    load the messages of a burst pile up, and the first one takes the whole pile as one batch,
    while those after it find their appeals done and stop after one cheap statement.
    `gather_seconds`: an appeal of this message younger than that is waited for until it is that
    old (sleeping, no CPU), so the appeals arriving meanwhile join its batch even while the
    worker keeps up with the stream.

    In one transaction the appeals are claimed (locked with SKIP LOCKED: those another worker or
    an operator holds are left to them, so two workers never take the same appeal), triaged
    (the engine once for the batch), what triage proposes is applied where nobody has decided,
    and they are moved on and written; after the commit the duplicate search runs with the
    batch's places in place.

    An appeal whose proposal cannot be applied goes to moderation as it was received (logged);
    a database error rolls the whole batch back, so every appeal stays received for the sweeper.
    Running it twice does nothing the second time: only received appeals are taken."""
    ids = list(dict.fromkeys(appeal_ids))
    waiting = Appeal.objects.filter(status=Status.RECEIVED)
    if at_most <= len(ids):
        waiting = waiting.filter(pk__in=ids)
    # One statement: the newest of these appeals still waiting, else whether any other waits.
    first = waiting.annotate(_mine=_mine(ids)).order_by("_mine", "-created_at").values_list("_mine", "created_at").first()
    if first is None:
        return Finished()  # the message of appeals another batch already took
    if first[0] == 0:
        gather(first[1], gather_seconds)
    with transaction.atomic():
        locked = claim_received(ids, max(at_most, len(ids)))
        if not locked:
            return Finished()
        # The engine runs on the claimed appeals, inside the claim: no other worker spends it on
        # them (it costs a few ms an appeal; an operator's transition on a received appeal waits).
        triage, proposals = _proposals(triage_for(locked), locked)
        done = advance(locked, proposals)
        if triage is not None:
            triage.store()
        update_rows(Appeal, locked, WRITTEN_FIELDS)
        record(done, proposals)
    join_duplicates(triage, done)
    return done


def claim_received(appeal_ids: list[int], at_most: int) -> list[Appeal]:
    """Lock (SKIP LOCKED) and return up to `at_most` received appeals, these first, then the
    oldest others waiting, in the order they came (received_at, id). Inside a transaction."""
    claimed = list(
        Appeal.objects.select_for_update(skip_locked=True, of=("self",))
        # What triage, the queue and the events read of each appeal, in the same statement.
        .select_related("territory", "category__block", "block")
        .defer("territory__boundary")  # kilobytes of GeoJSON per appeal, not needed here
        .filter(status=Status.RECEIVED)
        .annotate(_mine=_mine(appeal_ids))
        .order_by("_mine", "received_at", "pk")[:at_most]
    )
    claimed.sort(key=lambda a: (a.received_at, a.pk))
    return claimed


def _mine(appeal_ids: list[int]) -> Case | Value:
    """0 for these appeals, 1 for the others: what a claim takes first."""
    if not appeal_ids:
        return Value(1)
    return Case(When(pk__in=appeal_ids, then=Value(0)), default=Value(1), output_field=IntegerField())


class IntakeAtCreation:
    """The pipeline for appeals about to be inserted by `create_appeals`: `prepare` triages the
    unsaved appeals and takes them to moderation in memory; once they are inserted, `finish`
    stores the decisions, logs the events and joins duplicates, in the creation's transaction."""

    def __init__(self) -> None:
        self.triage: Triage | None = None
        self.proposals: dict[str, AutoTriage] = {}
        self.done = Finished()

    def prepare(self, appeals: list[Appeal]) -> None:
        self.triage, self.proposals = _proposals(triage_for(appeals), appeals)
        self.done = advance(appeals, self.proposals, new=True)

    def finish(self, created: list[Event]) -> None:
        """`created`: the appeals' "created" events, inserted first in the same statement. The
        duplicate search and joins run once the creation has committed."""
        if self.triage is not None:
            self.triage.store()
        record(self.done, self.proposals, created)
        triage, done = self.triage, self.done
        transaction.on_commit(lambda: join_duplicates(triage, done))


def join_duplicates(triage: Triage | None, done: Finished) -> None:
    """Join the batch's appeals to the problems of their near-duplicates, once the batch is
    committed, in a short transaction of their own (`join_to_problems`: every appeal and lead
    locked at once, in id order): inside the batch's long transaction two workers joining posts
    to crossing leads deadlocked. Two batches joining into the same problems now wait for each
    other briefly; the consistent lock order keeps them from deadlocking. A failure here leaves
    the appeals in moderation, unjoined (logged): an operator can still join them."""
    if triage is None or not done.appeals:
        return
    try:
        triage.after(done)
    except Exception:
        log.exception("the duplicate search of %s appeals failed; they stay in moderation unjoined", len(done.appeals))


def _proposals(triage: Triage | None, appeals: list[Appeal]) -> tuple[Triage | None, dict[str, AutoTriage]]:
    """What triage proposes for these appeals. A failure that is not the database's (a bug, a
    decision it cannot read) sends the batch to moderation untriaged rather than leaving it
    received for a sweeper that would meet the same failure again."""
    if triage is None:
        return None, {}
    try:
        return triage, triage.proposals(appeals)
    except DatabaseError:
        raise
    except Exception:
        log.exception("triage of %s appeals failed; they go to moderation untriaged", len(appeals))
        return None, {}


def advance(appeals: list[Appeal], proposals: dict[str, AutoTriage], *, new: bool = False) -> Finished:
    """In memory: apply each appeal's proposal (where nobody has decided) and move it to
    moderation. An appeal whose proposal fails to apply is put back as it was and moves on
    untriaged; a database error is raised (the caller's transaction is spoilt). `new`: the
    appeals are not stored yet and have no deadlines: those triage did not touch get them here
    (apply_proposal sets them for the others)."""
    rules, queues = DeadlineRules(), QueueLookup()
    done = Finished(appeals=appeals)
    for appeal in appeals:
        proposal = proposals.get(appeal.number)
        if proposal is not None:
            before = _snapshot(appeal)
            try:
                applied = apply_proposal(appeal, proposal, queues=queues)
                step(appeal, "auto_triage")
            except DatabaseError:
                raise
            except Exception:
                log.exception("applying the triage of appeal %s failed; it goes to moderation as it is", appeal.number)
                _restore(appeal, before)
            else:
                done.applied[appeal.number] = applied
        # auto_triage recomputes the deadline (its clock in the lifecycle); a new appeal gets its first.
        if new or appeal.number in done.applied:
            apply_deadlines(appeal, rules=rules)
        step(appeal, "take_to_moderation")
        appeal.refresh_search_text()
    return done


def record(done: Finished, proposals: dict[str, AutoTriage], leading: list[Event] | None = None) -> None:
    """Insert the events of a stored batch, after `leading` ones, in one statement, and publish
    the batch's own to `appeal_changed` (after commit)."""
    events: list[Event] = []
    for appeal in done.appeals:
        if appeal.number in done.applied:
            applied = done.applied[appeal.number]
            data = {"applied": applied, **proposals[appeal.number].summary}
            events.append(_event(appeal, "auto_triage", Status.RECEIVED, auto_triage_reason(applied, appeal), data, AUTO_TRIAGE_LABEL))
        events.append(_event(appeal, "take_to_moderation", appeal.status, MODERATION_REASON, {}, SYSTEM))
    everything = [*(leading or []), *events]
    copy_rows(Event, everything, with_ids=True)
    appeal_changed.publish([AppealChange.of(event) for event in everything])


def _event(appeal: Appeal, kind: str, to_status: str, reason: str, data: dict, label: str) -> Event:
    return Event(appeal=appeal, kind=kind, actor=None, actor_label=label, from_status=Status.RECEIVED, to_status=to_status, reason=reason, data=data)


def _snapshot(appeal: Appeal) -> tuple[dict, dict]:
    return appeal.__dict__.copy(), dict(appeal._state.fields_cache)


def _restore(appeal: Appeal, snapshot: tuple[dict, dict]) -> None:
    values, cache = snapshot
    appeal.__dict__.clear()
    appeal.__dict__.update(values)
    appeal._state.fields_cache = cache
