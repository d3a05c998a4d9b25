"""The platform's side of `tsur tension recompute` and `tsur tension bench`."""

from __future__ import annotations

import datetime as dt
import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tsur.appeals.services import NewAppeal, create_appeal
from tsur.core import clock
from tsur.directory.models import Block, Category, Territory
from tsur.tension.models import DirtySeries, TensionPoint
from tsur.tension.records import Places, keys_of
from tsur.tension.services import LIVE_DAYS, recompute_block
from tsur.tension.settings import detector_config

LONGEST_DAYS = 3 * 366
BENCH_WAIT_SECONDS = 30.0


def recompute_command(cmd: BaseCommand, date_from: dt.date | None) -> None:
    """Every block's points from the history, for the windows ending from `date_from`."""
    now = clock.now()
    today = timezone.localdate(now)
    start = date_from or today - dt.timedelta(days=LIVE_DAYS)
    if start > today:
        raise CommandError(f"--from {start} is in the future (today is {today})")
    if (today - start).days > LONGEST_DAYS:
        raise CommandError(f"--from {start}: more than {LONGEST_DAYS} days back; choose a later date")
    blocks = list(Block.objects.order_by("order", "key"))
    total = 0
    started = time.perf_counter()
    for i, block in enumerate(blocks, 1):
        t0 = time.perf_counter()
        n = recompute_block(block, now=now, start=start)
        total += n
        cmd.stderr.write(f"[{i}/{len(blocks)}] {block.key}: {n} points, {time.perf_counter() - t0:.1f} s")
    cmd.stdout.write(f"{total} points from {start} to {today}; {time.perf_counter() - started:.1f} s")


def bench_command(cmd: BaseCommand, n: int, block_key: str = "") -> None:
    """Create `n` appeals one at a time through the normal service and measure how long until
    the series they count in are recomputed (their dirty marks gone): the whole path, triage and
    every other subscriber of the appeal's events included. Then, for each, the recompute of its
    series alone (what the tension task itself costs). The appeals stay: run it on a demo or
    benchmark database."""
    if n < 1:
        raise CommandError("--appeals must be at least 1")
    categories = Category.objects.filter(is_active=True).select_related("block").order_by("code")
    if block_key:
        if not Block.objects.filter(key=block_key).exists():
            raise CommandError(f"--block {block_key!r}: no such block")
        categories = categories.filter(block__key=block_key)
    categories = list(categories)
    territories = list(Territory.objects.exclude(lat__isnull=True).order_by("code"))
    if not categories or not territories:
        raise CommandError("the database has no categories or territories with coordinates: load the demo first (tsur demo)")
    times: list[float] = []
    own: list[float] = []
    resolution = detector_config().h3_resolution
    for i in range(n):
        category = categories[i % len(categories)]
        territory = territories[(i * 7) % len(territories)]
        data = NewAppeal(
            channel="operator",
            text=f"Проверка скорости пересчёта точек напряжённости №{i + 1}",
            category_code=category.code,
            territory_code=territory.code,
            lat=territory.lat + 0.001 * (i % 5),
            lon=territory.lon + 0.001 * (i % 3),
            external_id=f"tension-bench-{time.time_ns()}-{i}",
        )
        t0 = time.perf_counter()
        appeal = create_appeal(data)
        deadline = t0 + BENCH_WAIT_SECONDS
        while DirtySeries.objects.filter(block_id=appeal.block_id).exists() and time.perf_counter() < deadline:
            time.sleep(0.02)
        elapsed = time.perf_counter() - t0
        in_point = TensionPoint.objects.filter(appeals=appeal).exists()
        times.append(elapsed)
        appeal.refresh_from_db()
        keys = {k for _, k in keys_of([appeal], resolution, Places())}
        t1 = time.perf_counter()
        if keys and appeal.block is not None:
            recompute_block(appeal.block, keys=keys)
        own.append(time.perf_counter() - t1)
        cmd.stderr.write(
            f"{i + 1}/{n}: {elapsed * 1000:.0f} ms, its series alone {own[-1] * 1000:.0f} ms{' (in a point)' if in_point else ''}"
        )
    cmd.stdout.write(f"appeal → its points: {_figures(times)} over {n} appeals")
    cmd.stdout.write(f"the recompute of its series alone: {_figures(own)}")


def _figures(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, max(0, round(0.95 * len(times)) - 1))]
    return f"median {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms"
