"""The analytics app's background work: recounting the days appeal changes touched, the sweeper
of lost recounts and the nightly full rebuild (registered with tsur.core.tasks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from tsur.analytics import rollup
from tsur.analytics.models import DirtyDay, Rebuild
from tsur.appeals.events import AppealChange
from tsur.core import metrics, tasks

RECOUNT = "analytics.recount"
REBUILD = "analytics.rebuild"
_RECOUNT_ASKED = "tsur.analytics.recount-asked"


def on_appeals_changed(changes: Sequence[AppealChange]) -> None:
    """Subscriber of appeal_changed: mark the touched days first (the record of the work), then
    ask for the recount; a lost request is found by the sweeper.

    A recount rebuilds the whole day, so under a stream of new appeals it is asked at most once
    per TSUR_ANALYTICS_RECOUNT_SECONDS (the marks made meanwhile wait for the next one, or for the
    sweeper after the stream stops): recounting today for every batch cost ~200 ms of a worker's
    time per appeal at a few thousand appeals a day (docs/operations.md, «Load»)."""
    days = rollup.mark_dirty(rollup.days_of_appeals([c.appeal_id for c in changes]))
    if not days:
        return
    window = settings.TSUR_ANALYTICS_RECOUNT_SECONDS
    if window > 0 and not cache.add(_RECOUNT_ASKED, 1, timeout=window):
        return
    tasks.enqueue(RECOUNT, [d.isoformat() for d in days])


@tasks.background(RECOUNT)
def recount(days: list[str]) -> int:
    return rollup.recount_dirty([dt.date.fromisoformat(d) for d in days])


@tasks.background(REBUILD)
def rebuild(reason: str = Rebuild.Reason.NIGHTLY) -> int:
    log = rollup.rebuild_all(reason=reason)
    return log.rows if log else 0


@tasks.periodic("analytics.sweep")
def sweep(now: dt.datetime) -> int:
    """Recount days marked a while ago whose recount never ran (its message lost)."""
    return rollup.recount_dirty(reason=Rebuild.Reason.SWEEP, older_than=now - tasks.LOST_AFTER)


@tasks.periodic("analytics.nightly")
def nightly(now: dt.datetime) -> bool:
    """Once a night, after TSUR_ANALYTICS_REBUILD_HOUR (Moscow), rebuild everything: whatever an
    incremental recount could miss (a change made outside the services) lives at most a day."""
    local = timezone.localtime(now)
    if local.hour < getattr(settings, "TSUR_ANALYTICS_REBUILD_HOUR", 3):
        return False
    since = timezone.make_aware(dt.datetime.combine(local.date(), dt.time.min))
    if Rebuild.objects.filter(reason=Rebuild.Reason.NIGHTLY, started_at__gte=since).exists():
        return False
    Rebuild.objects.create(reason=Rebuild.Reason.NIGHTLY, started_at=now, finished_at=now)  # claims tonight's run
    tasks.enqueue(REBUILD, Rebuild.Reason.NIGHTLY)
    return True


# --- /metrics: days waiting to be recounted ---------------------------------------------------------
metrics.queue("analytics.dirty_days", lambda: DirtyDay.objects.all(), "marked_at")
