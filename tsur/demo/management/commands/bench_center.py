"""`tsur bench_center --database URL --count 1000000`: the situation center's pages on a large
history (docs/analytics.md).

Builds the volume if the database holds fewer appeals than `--count` (the demo's reference data,
then `tsur.demo.history.generate` for a year ending now), rebuilds the precomputed figures, then
requests each page several times with Django's test client as an analyst and prints one JSON
object: median and p95 milliseconds per page, plus the build times. Pages that do not exist yet
(the tension list, the map's data) are reported as absent, not failed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Нагрузочный тест страниц ситуационного центра: медиана и p95 по страницам на большой истории обращений."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--database", default="", help="postgres://… of a scratch database (migrated, filled, measured)")
        parser.add_argument("--count", type=int, default=100_000, help="appeals the database must hold (default 100000)")
        parser.add_argument("--days", type=int, default=365, help="days of generated history, ending now (default 365)")
        parser.add_argument("--repeat", type=int, default=7, help="requests per page (default 7)")
        parser.add_argument("--seed", type=int, default=2026)
        # Large batches: fewer, larger bulk writes (a duplicate's lead is looked up in its batch or the one before).
        parser.add_argument("--batch", type=int, default=20_000, help="appeals per batch of the history generator (default 20000)")
        parser.add_argument("--skip-rebuild", action="store_true", help="measure the figures as they are (no full rebuild)")

    def handle(self, *args, **options) -> None:
        if options["database"] and os.environ.get("TSUR_BENCH_CHILD") != "1":
            argv = [sys.executable, "-m", "tsur", "bench_center"]
            for name in ("count", "days", "repeat", "seed", "batch"):
                argv += [f"--{name}", str(options[name])]
            argv += ["--skip-rebuild"] * options["skip_rebuild"]
            env = {**os.environ, "TSUR_DATABASE_URL": options["database"], "TSUR_BENCH_CHILD": "1", "TSUR_LOG_LEVEL": "WARNING"}
            code = subprocess.call(argv, env=env)
            if code:
                raise CommandError(f"нагрузочный тест завершился с кодом {code}")
            return
        if options["count"] < 1 or options["repeat"] < 1 or options["days"] < 1:
            raise CommandError("--count, --days и --repeat должны быть положительными")
        self.stdout.write(json.dumps(self._run(options), ensure_ascii=False))

    def _run(self, options: dict) -> dict:
        from django.db import connection

        from tsur.analytics import rollup
        from tsur.analytics.models import Rebuild
        from tsur.appeals.models import Appeal
        from tsur.core import clock
        from tsur.directory.models import Territory

        result: dict = {"database": connection.vendor, "count_wanted": options["count"]}
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        result["migrate_s"] = round(time.monotonic() - started, 1)
        if not Territory.objects.exists():
            from tsur.demo.loader import create_users, load_reference

            load_reference()
            create_users()
        have = Appeal.objects.count()
        result["appeals_before"] = have
        if have < options["count"]:
            from tsur.demo.history import generate

            started = time.monotonic()
            last = [0.0]

            def progress(done: int) -> None:
                if time.monotonic() - last[0] > 30:
                    last[0] = time.monotonic()
                    self.stderr.write(f"generated {have + done} of {options['count']} ({time.monotonic() - started:.0f} s)")

            made = generate(
                count=options["count"] - have, days=options["days"], end=clock.now(), seed=options["seed"] + have, batch=options["batch"],
                progress=progress,
            )
            result["generated"] = made
            result["generate_s"] = round(time.monotonic() - started, 1)
        result["appeals"] = Appeal.objects.count()
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("ANALYZE")
        if not options["skip_rebuild"]:
            started = time.monotonic()
            log = rollup.rebuild_all(reason=Rebuild.Reason.COMMAND)
            result["rebuild_s"] = round(time.monotonic() - started, 1)
            result["rollup_rows"] = log.rows if log else 0
            if connection.vendor == "postgresql":
                with connection.cursor() as cur:
                    cur.execute("ANALYZE analytics_dailyfigures")
        result["pages"] = self._pages(options["repeat"])
        return result

    def _pages(self, repeat: int) -> dict:
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.test import Client
        from django.utils import timezone

        from tsur.accounts.models import Membership, Role
        from tsur.core import clock

        user = get_user_model().objects.filter(membership__role=Role.ANALYST).first()
        if user is None:
            user = get_user_model().objects.create_user(username="bench-analyst", password=None)
            Membership.objects.create(user=user, role=Role.ANALYST)
        # The test client speaks plain HTTP inside the process: no redirect to HTTPS to measure.
        settings.SECURE_SSL_REDIRECT = False
        client = Client()
        client.force_login(user)
        today = timezone.localdate(clock.now())
        year = {"from": (today - dt.timedelta(days=364)).isoformat(), "to": today.isoformat()}
        pages = {
            "dashboard (30 дней)": ("/workspace/center/dashboard/", {}),
            "dashboard (год)": ("/workspace/center/dashboard/", year),
            "kpi (30 дней)": ("/workspace/center/kpi/", {}),
            "kpi (год)": ("/workspace/center/kpi/", year),
            "region (год)": ("/workspace/center/region/", year),
            "appeals: все (30 дней)": ("/workspace/center/appeals/", {}),
            "appeals: просрочено (год)": ("/workspace/center/appeals/", {**year, "only": "overdue"}),
            "appeals: оценки 4–5 (30 дней)": ("/workspace/center/appeals/", {"only": "good"}),
            "tension list": ("/workspace/center/tension/", {}),
            "map data (30 дней)": ("/workspace/center/map/data/", {}),
        }
        out: dict = {}
        for name, (url, params) in pages.items():
            first = client.get(url, params)
            if first.status_code == 404:
                out[name] = {"absent": True}
                continue
            if first.status_code != 200:
                out[name] = {"status": first.status_code}
                continue
            timings = []
            for _ in range(repeat):
                started = time.perf_counter()
                resp = client.get(url, params)
                if hasattr(resp, "streaming_content"):
                    b"".join(resp.streaming_content)
                timings.append((time.perf_counter() - started) * 1000)
            timings.sort()
            p95 = timings[min(len(timings) - 1, max(0, round(0.95 * len(timings)) - 1))]
            out[name] = {"median_ms": round(statistics.median(timings), 1), "p95_ms": round(p95, 1), "runs": repeat}
        return out
