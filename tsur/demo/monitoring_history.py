"""The demo's monitoring history: three days of the four sources' simulated streams up to now, and
one heating-main burst four days ago, completed (the failure, the calls, the residents' messages,
the repair, the readings back to normal, the inspection's case closed), all through the real
intake and appeal services with the clock set to each item's time. Run once, on an empty
database, after the recent appeals (so the burst's point of tension stands out against them).

The points of tension are paused meanwhile (recomputed once per block at the end). The sensors
report every half hour here (not every ten minutes as `tsur simulate sensor` does) to keep the
demo's load short."""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from tsur.core import clock
from tsur.monitoring.models import Source
from tsur.monitoring.simulate import burst, deliver, streams
from tsur.tension.tasks import paused as tension_paused

DAYS = 3
BURST_DAYS_AGO = 4
SEED = 2026


def load(now: dt.datetime | None = None, *, seed: int = SEED) -> dict[str, int]:
    """Write the history; returns counts for the loader's summary. No sources, nothing written."""
    if not Source.objects.filter(code__in=list(streams.SOURCE_OF.values())).exists():
        return {}
    now = now or clock.now()
    start = now - dt.timedelta(days=DAYS)
    rng = random.Random(seed)
    items = sorted(
        [
            *streams.camera(90, start, rng, hours=DAYS * 24),
            *streams.call112(60, start, rng, hours=DAYS * 24),
            *streams.housing(24, start - dt.timedelta(days=4), rng, hours=(DAYS + 4) * 24),
            *streams.sensor(len(streams.CITY_SENSORS) * DAYS * 48, start, rng, interval_minutes=30),
        ],
        key=lambda i: i.at,
    )
    failure = timezone.localtime(now - dt.timedelta(days=BURST_DAYS_AGO)).replace(hour=6, minute=40, second=0, microsecond=0)
    b = burst.timeline(failure, seed)
    # In time order, the streams' batches between the burst's steps: a sensor's readings must
    # arrive in their own order for the hysteresis to see the failure and the recovery.
    stream_steps = [burst.Step(chunk[-1].at, tuple(chunk)) for chunk in deliver.batches((i for i in items if i.at <= now), 400)]
    steps = sorted([*stream_steps, *(s for s in b.steps if s.at <= now)], key=lambda s: s.at)
    # The points of tension are recomputed once per block at the end, not after every message.
    with tension_paused():
        done = deliver.run_steps(steps, deliver.InProcess())
    return {"monitoring_events": done.accepted, "burst_appeals": done.appeals}
