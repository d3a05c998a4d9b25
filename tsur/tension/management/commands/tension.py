"""`tsur tension detect|recompute|bench`: points of tension from the shell.

    tsur tension detect --data FILE [--data FILE ...] --time COLUMN --place COLUMN
                        [--lat COLUMN --lon COLUMN] --topic COLUMN [--parent-topic COLUMN]
                        [--id COLUMN] [--address COLUMN] [--from DATE] [--to DATE] [--top N]
                        [--h3-resolution R] [--tz ZONE]
    tsur tension recompute [--from DATE]     # the platform's points, fully, from its history
    tsur tension bench [--appeals N] [--block KEY]   # appeal → its points latency, median and p95 (creates N appeals)

`detect` reads files (CSV, CSV.gz, JSON lines) and writes JSON lines sorted by score; the engine
(tsur.tension.engine) does the work, exactly as for the platform. docs/tension.md has the details.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsur.tension.commands import bench_command, recompute_command
from tsur.tension.engine.detect import detect
from tsur.tension.engine.explain import explain
from tsur.tension.engine.reading import Columns, InputError, read_records
from tsur.tension.settings import detector_config


def _date(raw: str | None, flag: str) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise CommandError(f"{flag} {raw!r}: not a date; use YYYY-MM-DD") from None


class Command(BaseCommand):
    help = "Points of tension: detect them in files, recompute the platform's, measure the update latency."
    # `detect` needs neither the database nor the URL configuration: an analyst's shell runs it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        d = sub.add_parser("detect", help="points of tension in CSV / CSV.gz / JSON-lines files")
        d.add_argument("--data", action="append", required=True, metavar="FILE", help="input file; several are one stream")
        d.add_argument("--time", required=True, metavar="COLUMN", help="when the appeal was received")
        d.add_argument("--place", required=True, metavar="COLUMN", help="territory (the parent of the H3 cell with --lat/--lon)")
        d.add_argument("--topic", required=True, metavar="COLUMN", help="the topic (category)")
        d.add_argument("--parent-topic", metavar="COLUMN", default="", help="the topic's block, for block-level points too")
        d.add_argument("--lat", metavar="COLUMN", default="")
        d.add_argument("--lon", metavar="COLUMN", default="")
        d.add_argument("--id", metavar="COLUMN", default="", help="record id, listed with --ids")
        d.add_argument("--address", metavar="COLUMN", default="", help="address: repeated complaints sharpen a point")
        d.add_argument("--from", dest="date_from", metavar="DATE", help="first day looked at; the history before it is the baseline")
        d.add_argument("--to", dest="date_to", metavar="DATE", help="the day after the last one looked at")
        d.add_argument("--top", type=int, default=0, metavar="N", help="only the N best points")
        d.add_argument("--h3-resolution", type=int, default=None, metavar="R", help="H3 resolution with --lat/--lon (default 7)")
        d.add_argument("--tz", default="Europe/Moscow", help="zone of times that carry an offset (default Europe/Moscow)")
        d.add_argument("--ids", action="store_true", help="add the ids of the records behind each point")
        r = sub.add_parser("recompute", help="recompute the platform's points from its history")
        r.add_argument("--from", dest="date_from", metavar="DATE", help="first day to recompute (default: 8 weeks ago)")
        b = sub.add_parser("bench", help="latency from a new appeal to its points (median, p95)")
        b.add_argument("--appeals", type=int, default=20, help="how many appeals to create, one at a time")
        b.add_argument("--block", default="", metavar="KEY", help="only categories of this block (e.g. the largest one)")

    def handle(self, *args, **options) -> None:
        action = options["action"]
        if action == "detect":
            self._detect(options)
        elif action == "recompute":
            recompute_command(self, _date(options.get("date_from"), "--from"))
        else:
            bench_command(self, options["appeals"], options["block"])

    def _detect(self, options: dict) -> None:
        started = time.perf_counter()
        if bool(options["lat"]) != bool(options["lon"]):
            raise CommandError("--lat and --lon go together")
        if options["top"] < 0:
            raise CommandError("--top must be 0 (all) or more")
        try:
            zone = ZoneInfo(options["tz"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(f"--tz {options['tz']!r}: unknown time zone") from None
        cfg = detector_config()
        if options["h3_resolution"] is not None:
            if not 0 <= options["h3_resolution"] <= 15:
                raise CommandError("--h3-resolution must be 0..15")
            cfg = cfg.with_overrides({"h3_resolution": options["h3_resolution"]})
        date_from = _date(options.get("date_from"), "--from")
        date_to = _date(options.get("date_to"), "--to")
        if date_from and date_to and date_from >= date_to:
            raise CommandError(f"--from {date_from} is not before --to {date_to}: an empty period")
        columns = Columns(
            time=options["time"], place=options["place"], topic=options["topic"], parent_topic=options["parent_topic"],
            lat=options["lat"], lon=options["lon"], id=options["id"], address=options["address"],
        )  # fmt: skip
        paths = [Path(p) for p in options["data"]]
        try:
            records, skipped = read_records(
                paths, columns, zone=zone, h3_resolution=cfg.h3_resolution, warn=lambda m: self.stderr.write(m)
            )
        except InputError as exc:
            raise CommandError(str(exc)) from None
        if not records:
            raise CommandError(f"no usable rows in {', '.join(map(str, paths))} ({skipped} skipped)")
        first = min(r.day for r in records)
        last = max(r.day for r in records)
        start = date_from or first + dt.timedelta(days=cfg.warmup_days)
        end = date_to or last + dt.timedelta(days=1)
        if start >= end:
            raise CommandError(f"nothing to look at: the period {start} – {end} is empty (the data run {first} – {last})")
        if start <= first:
            self.stderr.write(f"note: no history before {start}: the first weeks are their own baseline and are not scored")
        points = detect(records, start=start, end=end, config=cfg)
        if options["top"]:
            points = points[: options["top"]]
        try:
            for p in points:
                row = p.as_json(explain(p))
                if options["ids"]:
                    row["ids"] = p.ids
                self.stdout.write(json.dumps(row, ensure_ascii=False))
            self.stdout.flush()
        except BrokenPipeError:
            # The reader went away (`… | head`): nothing more to write, and no traceback. Python
            # would flush stdout again at exit and fail once more, so it now points to /dev/null.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        self.stderr.write(
            f"{len(records)} rows read, {skipped} skipped; {len(points)} points for {start} – {end}; "
            f"{time.perf_counter() - started:.1f} s"
        )
