"""Background work of points of tension: appeals that arrive or change mark their series dirty
(in the database first), a task recomputes only those series, block by block; a sweeper re-does
what a lost message left behind, and a daily job moves live points on (a point with no new appeals
eases and resolves as the days pass)."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tsur.appeals.events import AppealChange
from tsur.appeals.models import Appeal
from tsur.core import clock, metrics
from tsur.core.tasks import LOST_AFTER, REQUEUE_AT_MOST, background, enqueue, periodic
from tsur.directory.models import Block
from tsur.tension import counts
from tsur.tension.engine.model import SeriesKey
from tsur.tension.models import LIVE_STATES, DirtySeries, TensionPoint
from tsur.tension.records import Places, keys_of
from tsur.tension.services import LIVE_DAYS, recompute_block
from tsur.tension.settings import detector_config

log = logging.getLogger(__name__)


# Transitions that change neither whether an appeal counts nor its topic or place, only what
# sharpens a point (open, overdue, answered, rated, reopened): after these only the stored live
# points holding the appeal are recomputed. Any other kind (creation, triage, reclassification,
# a new place, refusal, joining a problem, kinds added later) marks the appeal's series.
FLAGS_ONLY = frozenset(
    {
        "take_to_moderation", "route", "transfer", "return_to_moderation", "assign", "accept", "interim_answer",
        "request_extension", "grant_extension", "deny_extension", "prepare_answer", "approve_answer", "return_answer",
        "publish_answer", "deliver_problem_answer", "rate_satisfied", "reopen", "reopen_member", "auto_close",
        "confirm_resolution", "change_urgency", "close_objective", "reopen_objective",
    }
)  # fmt: skip


def mark_appeals(appeal_ids: Iterable[int], *, flags_only: Iterable[int] = ()) -> list[int]:
    """Record as dirty the series these appeals count in, and those of stored points they are part
    of (an appeal moved to another topic or place leaves its old point); for `flags_only` appeals
    only the live points they are part of. Returns the blocks to recompute."""
    ids = sorted(set(appeal_ids))
    touched = sorted(set(flags_only) - set(ids))
    if not ids and not touched:
        return []
    now = clock.now()
    marks: set[tuple[int, SeriesKey]] = set()
    if ids:
        # Only what keys_of and counts.sync read: a whole appeal with its category and block is
        # ~300 columns, and a storm's batch marks its ~400 joined appeals at once.
        appeals = list(
            Appeal.objects.filter(pk__any_of=ids)
            .select_related("category", "block")
            .only("status", "lat", "lon", "territory", "received_at", "category__code", "block__key")
        )
        resolution, places = detector_config().h3_resolution, Places()
        marks = keys_of(appeals, resolution, places)
        # The placements follow the appeals; where an appeal counted before is marked as well.
        today = timezone.localdate(now)
        marks |= counts.sync(appeals, resolution, places, today, today - dt.timedelta(days=LIVE_DAYS))
        for tp in TensionPoint.objects.filter(appeals__any_of=ids).select_related("category", "block").distinct():
            marks.add((tp.block_id, SeriesKey(tp.place, tp.level, tp.topic_code)))
    if touched:
        live = TensionPoint.objects.filter(appeals__any_of=touched, state__in=LIVE_STATES).select_related("category", "block")
        for tp in live.distinct():
            marks.add((tp.block_id, SeriesKey(tp.place, tp.level, tp.topic_code)))
    if not marks:
        return []
    rows = [DirtySeries(block_id=b, place=k.place, level=k.level, topic=k.topic, marked_at=now) for b, k in marks]
    with transaction.atomic():
        DirtySeries.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["block", "place", "level", "topic"],
            update_fields=["marked_at"],
        )
    return sorted({b for b, _ in marks})


_paused: contextvars.ContextVar[bool] = contextvars.ContextVar("tension_paused", default=False)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """For bulk loads (replay, generated history): inside, changed appeals only mark their series
    dirty; on leaving, each dirty block is recomputed once instead of once per change. The marks
    are in the database, so if the load dies midway the sweeper still does the work."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)
    for block_id in DirtySeries.objects.values_list("block_id", flat=True).distinct().order_by("block_id"):
        enqueue("tension_recompute", block_id)


def on_evidence_changed(appeal_ids: list[int]) -> None:
    """Subscriber of monitoring's evidence_changed: an appeal confirmed by objective monitoring
    (or no longer) sharpens the points it is part of. A flag changes a point's score, never
    whether there is one (that is the surprise of the counts), so only the live points holding
    these appeals are marked, then enqueued."""
    blocks = mark_appeals((), flags_only=appeal_ids)
    if _paused.get():
        return
    for block_id in blocks:
        enqueue("tension_recompute", block_id)


def on_appeals_changed(changes: list[AppealChange]) -> None:
    """Subscriber of appeal_changed: mark, then enqueue (the sweeper covers a lost enqueue)."""
    blocks = mark_appeals(
        (c.appeal_id for c in changes if c.kind not in FLAGS_ONLY),
        flags_only=[c.appeal_id for c in changes if c.kind in FLAGS_ONLY],
    )
    if _paused.get():
        return
    for block_id in blocks:
        enqueue("tension_recompute", block_id)


@background("tension_recompute")
def recompute_dirty(block_id: int) -> int:
    """Claim the block's dirty series, recompute them, drop the rows not marked again meanwhile."""
    now = clock.now()
    stale = now - LOST_AFTER
    claimable = DirtySeries.objects.filter(block_id=block_id).filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
    if not claimable.update(claimed_at=now):
        return 0
    claimed = DirtySeries.objects.filter(block_id=block_id, claimed_at=now)
    keys = {SeriesKey(place, level, topic) for place, level, topic in claimed.values_list("place", "level", "topic")}
    block = Block.objects.filter(pk=block_id).first()
    if block is None:
        claimed.delete()
        return 0
    # An appeal of an earlier day that moved marks the whole block (counts.sync).
    written = recompute_block(block, keys=None if counts.WHOLE in keys else keys, now=now)
    # A row marked again after the claim (marked_at > now) stays and is swept up again.
    claimed.filter(marked_at__lte=now).delete()
    DirtySeries.objects.filter(block_id=block_id, claimed_at=now).update(claimed_at=None)
    return written


@periodic("tension_dirty_requeued")
def requeue_dirty(now: dt.datetime) -> int:
    lost = now - LOST_AFTER
    blocks = list(
        DirtySeries.objects.filter(marked_at__lt=lost)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=lost))
        .values_list("block_id", flat=True)
        .distinct()[:REQUEUE_AT_MOST]
    )
    for block_id in blocks:
        enqueue("tension_recompute", block_id)
    return len(blocks)


@periodic("tension_daily")
def refresh_live(now: dt.datetime) -> int:
    """Once a day, the series of live points not recomputed today are marked dirty: their state
    follows the days without new appeals too."""
    today_start = timezone.make_aware(dt.datetime.combine(timezone.localdate(now), dt.time.min))
    stale = TensionPoint.objects.filter(state__in=LIVE_STATES, updated_at__lt=today_start).select_related("category", "block")
    marks: dict[int, set[SeriesKey]] = defaultdict(set)
    for tp in stale[:REQUEUE_AT_MOST]:
        marks[tp.block_id].add(SeriesKey(tp.place, tp.level, tp.topic_code))
    rows = [DirtySeries(block_id=b, place=k.place, level=k.level, topic=k.topic, marked_at=now) for b, ks in marks.items() for k in ks]
    if rows:
        DirtySeries.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["block", "place", "level", "topic"], update_fields=["marked_at"]
        )
    for block_id in marks:
        enqueue("tension_recompute", block_id)
    return len(rows)


# --- /metrics: series waiting to be recomputed -----------------------------------------------------
metrics.queue("tension.dirty_series", lambda: DirtySeries.objects.all(), "marked_at")
