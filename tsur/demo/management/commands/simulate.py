"""`tsur simulate SOURCE ...`: realistic streams of the demo's monitoring sources, and the burst.

- `tsur simulate camera|112|housing|sensor [--count N] [--start ISO] [--seed N] [--speed S]
  [--batch N] [--url http://HOST:PORT --key CODE=KEY]`: a stream in the source's own format.
- `tsur simulate burst [--start ISO] [--seed N] [--messages N] [--calls N] [--repair-hours H]
  [--speed S] [--url ... --key ...]`: the heating-main failure (tsur.monitoring.simulate.burst);
  --start is the failure's time T (the normal readings begin two hours before it).

Without --url the items go in-process through the intake (`ingest`); with it, over HTTP to
POST /api/monitoring/events with the source's key (the demo's fixed keys when none is given).
Residents' messages of the burst always go through the appeals' creation service in this
database. --start: the first item's time (default: the stream ends now); --speed S: paced in real
time at S times the items' own gaps (0, the default, sends everything at once with the platform's
clock set to each item's time); without --start a paced stream starts far enough back to end at the
present, so no item is ahead of its time. A surface command: it may use every app.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tsur.core import clock, tasks
from tsur.demo.monitoring import read_config
from tsur.monitoring.simulate import burst as burst_scenario
from tsur.monitoring.simulate import deliver, streams

SOURCES = ("camera", "112", "housing", "sensor")


def _moment(value: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--start «{value}» не распознано: нужна дата и время ISO 8601, например 2026-12-01T07:00+03:00.") from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _keys(values: list[str]) -> dict[str, str]:
    keys = {code: key for code, _name, key in _demo_keys()}
    for value in values:
        code, sep, key = value.partition("=")
        if not sep or not code or not key:
            raise CommandError(f"--key «{value[:20]}…»: нужно КОД_ИСТОЧНИКА=КЛЮЧ.")
        keys[code] = key
    return keys


def _default_start(now: dt.datetime, span: dt.timedelta, speed: float) -> dt.datetime:
    """Where a stream starts when --start is not given: it ends at the present. At once (speed 0)
    the whole span lies in the past; paced at S× it starts S−1/S of the span back, so every item is
    sent as its own time comes (S = 1 is a live feed from now)."""
    return now - span * (1 - 1 / speed) if speed else now - span


def _demo_keys() -> list[tuple[str, str, str]]:
    return [(row["code"], row["name"], row["demo_key"]) for row in read_config()["sources"] if row.get("demo_key")]


class Command(BaseCommand):
    help = "Simulated monitoring streams (camera, 112, housing, sensor) and the heating-main burst."

    def add_arguments(self, parser) -> None:
        parser.add_argument("what", choices=(*SOURCES, "burst"))
        parser.add_argument("--count", type=int, default=200, help="items of a stream (default 200)")
        parser.add_argument("--start", default="", help="time of the first item, ISO 8601 (default: the stream ends now)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--speed", type=float, default=0.0, help="pace in real time at S× the items' gaps (0: all at once)")
        parser.add_argument("--batch", type=int, default=500, help="items per request (default 500)")
        parser.add_argument("--url", default="", help="the platform's address: send over HTTP to the event API")
        parser.add_argument("--key", action="append", default=[], help="CODE=KEY of a source (with --url; the demo's keys by default)")
        parser.add_argument("--messages", type=int, default=36, help="burst: residents' messages (default 36)")
        parser.add_argument("--calls", type=int, default=7, help="burst: 112 calls (default 7)")
        parser.add_argument("--repair-hours", type=float, default=18, help="burst: hours until the repair (default 18)")
        parser.add_argument("--no-tick", action="store_true", help="do not run the periodic jobs once at the end")

    def handle(self, *args, what: str, **o) -> None:
        if o["count"] < 1 or o["batch"] < 1:
            raise CommandError("--count и --batch должны быть положительными.")
        try:
            sender = deliver.Http(o["url"], _keys(o["key"])) if o["url"] else deliver.InProcess()
            pace = deliver.Pace(o["speed"])
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        now = clock.now()
        try:
            if what == "burst":
                totals = self._burst(o, sender, pace, now)
            else:
                totals = self._stream(what, o, sender, pace, now)
        except (LookupError, RuntimeError, OSError) as exc:
            raise CommandError(str(exc)) from None
        if not o["no_tick"] and not o["url"]:
            tasks.tick()  # matching's sweeper, quiet cameras, contradictions: as the next minute would
        self.stdout.write(json.dumps(totals.as_dict(), ensure_ascii=False))

    def _stream(self, what: str, o: dict, sender, pace, now: dt.datetime) -> deliver.Totals:
        # The generators are shift-invariant: the span at `now` is the span at any start.
        probe = streams.stream(what, o["count"], now, o["seed"])
        start = _moment(o["start"]) if o["start"] else _default_start(now, probe[-1].at - probe[0].at, o["speed"])
        items = streams.stream(what, o["count"], start, o["seed"])
        if not o["speed"]:
            items = [i for i in items if i.at <= now]  # updates still to come are not sent ahead of time
        return deliver.run_items(items, sender, batch=o["batch"], pace=pace)

    def _burst(self, o: dict, sender, pace, now: dt.datetime) -> deliver.Totals:
        def timeline(start: dt.datetime) -> burst_scenario.Burst:
            return burst_scenario.timeline(start, o["seed"], messages=o["messages"], calls=o["calls"], repair_hours=o["repair_hours"])

        probe = timeline(now)
        # T (the failure) is two hours after the first step (the normal readings before it).
        lead = probe.start - probe.steps[0].at
        first = _moment(o["start"]) - lead if o["start"] else _default_start(now, probe.end - probe.steps[0].at, o["speed"])
        b = timeline(first + lead)
        steps = b.steps if o["speed"] else [s for s in b.steps if s.at <= now]

        def progress(step, totals) -> None:
            local = timezone.localtime(step.at)
            self.stdout.write(f"{local:%d.%m %H:%M}  {step.note}  (событий принято {totals.accepted + totals.updated}, обращений {totals.appeals})")

        return deliver.run_steps(steps, sender, pace=pace, progress=progress)
