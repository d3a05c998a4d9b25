"""The replay's own records: a run is started, advanced batch by batch and finished only here.
The run row is the audit of who replayed what, with which options, when, and how it ended."""

from __future__ import annotations

from django.db.models import F

from tsur.core import clock
from tsur.replay.models import ReplayRun


def start_run(*, region: str, data_dir: str, options: dict, shift_days: int, started_by: str) -> ReplayRun:
    return ReplayRun.objects.create(
        region=region, data_dir=data_dir[:500], options=options, shift_days=shift_days, started_by=started_by[:120]
    )


def record_batch(run: ReplayRun, *, rows: int, loaded: int, skipped: int, failed: int, steps: int, steps_skipped: int,
                 last_external_id: str) -> None:
    """Count a committed batch; called inside the batch's transaction, so the counts and the
    appeals they describe are stored together or not at all."""
    ReplayRun.objects.filter(pk=run.pk).update(
        rows_seen=F("rows_seen") + rows, loaded=F("loaded") + loaded, skipped=F("skipped") + skipped,
        failed=F("failed") + failed, steps=F("steps") + steps, steps_skipped=F("steps_skipped") + steps_skipped,
        last_external_id=last_external_id[:200] or F("last_external_id"),
    )


def finish_run(run: ReplayRun, *, failed: bool, note: str) -> ReplayRun:
    ReplayRun.objects.filter(pk=run.pk).update(
        state=ReplayRun.State.FAILED if failed else ReplayRun.State.FINISHED, finished_at=clock.now(), note=note
    )
    run.refresh_from_db()
    return run


def stored_shift(region: str) -> int | None:
    """The time shift the region's appeals were loaded with, if any run loaded some."""
    run = ReplayRun.objects.filter(region=region, loaded__gt=0).order_by("started_at", "pk").first()
    return run.shift_days if run else None
