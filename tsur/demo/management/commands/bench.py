"""Benchmarks. Each prints medians over the runs with min and max, so the machine's noise is visible.

- `tsur bench triage [--data DIR] [--runs N] [--workers N] [--markdown]`: speed and memory of
  triage on the St Petersburg texts of ../shared/data (skipped with a message when they are absent).
- `tsur bench steps [--data DIR | --synthetic] [--runs N] [--limit N] [--markdown]`: texts per
  second of personal-data masking, urgency and place, each alone, and the gazetteer's build time;
  on the St Petersburg texts, or on a built-in synthetic sample when they are absent.
- `tsur bench monitoring [--database URL] [--count N] [--runs N] [--batch N] [--http]`: monitoring
  events per second into the database in bulk with matching running alongside, and the matching
  lag (tsur.demo.bench_monitoring); one JSON object. Without --database: a scratch SQLite file.
- `tsur bench workspace --database postgres://…/tsur_bench… [--count N] [--runs N]`: server time
  (median/p95) of the queue and the card with N appeals (tsur.demo.bench_workspace).
- `tsur bench load --database postgres://…/tsur_bench… [--quick]`: the production stack under HTTP
  load — the bare Ninja endpoint vs the intake at the maximum (gunicorn and granian), the Locust
  scenario at rising constant rates (tsur.demo.bench_load); prints tables.
- `tsur bench partitions --database postgres://…/tsur_bench… [--copies N] [--rounds N]`: the event
  log as one table against monthly partitions on two scratch copies of a filled bench database —
  the conversion's time and the platform's reads and writes on events (tsur.demo.bench_partitions).

Moved here from triage: a benchmark is a surface that may use every app.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Benchmarks (subcommands: triage, steps, monitoring, workspace, load, partitions)."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        triage = sub.add_parser("triage", help="classification and full triage throughput, load time, memory")
        triage.add_argument("--data", default="", help="the shared data folder (default ../shared/data)")
        triage.add_argument("--model", default="", help="model directory (default: the shipped model)")
        triage.add_argument("--runs", type=int, default=5)
        triage.add_argument("--limit", type=int, default=0, help="use only the first N messages for classification")
        triage.add_argument("--full-limit", type=int, default=10000, help="messages for the full-pipeline runs")
        triage.add_argument("--workers", type=int, default=2, help="processes for the parallel full-pipeline figure (default 2)")
        triage.add_argument("--markdown", action="store_true", help="print a Markdown table instead of JSON")
        steps = sub.add_parser("steps", help="personal-data masking, urgency and place throughput, gazetteer build time")
        steps.add_argument("--data", default="", help="the shared data folder (default ../shared/data)")
        steps.add_argument("--synthetic", action="store_true", help="use the built-in synthetic sample even when the data is there")
        steps.add_argument("--runs", type=int, default=5)
        steps.add_argument("--limit", type=int, default=2000, help="use only the first N messages (default 2000)")
        steps.add_argument("--markdown", action="store_true", help="print a Markdown table instead of JSON")
        mon = sub.add_parser("monitoring", help="monitoring event intake in bulk with matching alongside: events/s and lag")
        mon.add_argument(
            "--database", default="", help="postgres://… of a scratch database whose name contains 'bench' (default: a temporary SQLite file)"
        )
        mon.add_argument("--count", type=int, default=20000, help="events per run (default 20000)")
        mon.add_argument("--runs", type=int, default=3, help="runs; medians are reported (default 3)")
        mon.add_argument("--batch", type=int, default=1000, help="events per ingest call / request (default 1000)")
        mon.add_argument("--updates", type=float, default=0.1, help="share of newer versions of earlier events (default 0.1)")
        mon.add_argument("--duplicates", type=float, default=0.05, help="share of exact resends (default 0.05)")
        mon.add_argument("--appeals", type=int, default=3000, help="appeals present for the matcher (default 3000)")
        mon.add_argument("--match-limit", type=int, default=1000, help="events the matcher claims at a time (default 1000)")
        mon.add_argument("--no-matching", action="store_true", help="measure intake alone")
        mon.add_argument("--http", action="store_true", help="also send the batches through the real API (a server in its own process)")
        mon.add_argument("--force", action="store_true", help="use --database even if its name does not say it is a benchmark's")
        ws = sub.add_parser("workspace", help="server time of the queue and the card with 100,000 appeals (median/p95)")
        ws.add_argument("--database", required=True, help="postgres://… of a scratch database whose name contains 'bench'")
        ws.add_argument("--count", type=int, default=100_000, help="appeals in the database (default 100000; kept between runs)")
        ws.add_argument("--runs", type=int, default=20, help="requests per page (default 20)")
        ws.add_argument("--force", action="store_true", help="use --database even if its name does not say it is a benchmark's")
        # --- load (part load) ---
        load = sub.add_parser("load", help="the production stack under HTTP load: bare endpoint vs intake, Locust scenario steps")
        load.add_argument("--database", required=True, help="postgres://… of a scratch database whose name contains 'bench'")
        load.add_argument("--quick", action="store_true", help="about two minutes (default: the full run, under ten)")
        load.add_argument("--count", type=int, default=0, help="appeals in the database (default 5000 quick, 20000 full; kept between runs)")
        load.add_argument("--port", type=int, default=18200, help="loopback port of the web server (default 18200)")
        load.add_argument("--workers", type=int, default=2, help="web server processes (default 2, as in issue 12's figures)")
        load.add_argument("--connections", type=int, default=32, help="wrk connections at the maximum (default 32)")
        load.add_argument("--json", action="store_true", help="print JSON instead of the tables")
        load.add_argument("--force", action="store_true", help="use --database even if its name does not say it is a benchmark's")
        # --- end load ---
        parts = sub.add_parser("partitions", help="the event log: one table against monthly partitions, side by side")
        parts.add_argument("--database", required=True, help="postgres://… of a filled bench database (copied, never changed)")
        parts.add_argument("--copies", type=int, default=17, help="shifted copies of every event (default 17: about ten years)")
        parts.add_argument("--rounds", type=int, default=5, help="alternating rounds; medians are reported (default 5)")
        parts.add_argument("--per-round", type=int, default=200, help="statements of each kind per round (default 200)")

    def handle(self, *args, **options) -> None:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        env = os.environ.get("TSUR_SHARED_DATA")
        shared = Path(options.get("data") or env or Path(settings.BASE_DIR).parent / "shared" / "data")
        if options["what"] == "partitions":
            from tsur.demo import bench_partitions

            if not options["database"].startswith("postgres"):
                raise CommandError("Секции журнала событий есть только в PostgreSQL: укажите --database postgres://…")
            report = bench_partitions.run(
                options["database"], copies=options["copies"], rounds=options["rounds"], per_round=options["per_round"],
                log=lambda line: self.stderr.write(line),
            )  # fmt: skip
            self.stdout.write(bench_partitions.markdown(report))
        elif options["what"] == "monitoring":
            self.monitoring(options)
        elif options["what"] == "workspace":
            self.workspace(options)
        elif options["what"] == "load":
            self.load(options)
        elif options["what"] == "steps":
            self.steps(shared, options)
        else:
            self.triage(shared, options)

    def monitoring(self, options: dict) -> None:
        if os.environ.get("TSUR_BENCH_CHILD") == "1":
            from tsur.demo.bench_monitoring import run_bench

            report = run_bench(options, lambda line: self.stderr.write(line))
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
            return
        url = options["database"]
        if url and "bench" not in url.rsplit("/", 1)[-1] and not options["force"]:
            raise CommandError("База для нагрузочного теста очищается между прогонами: укажите базу с 'bench' в имени или --force.")
        folder = None
        if not url:
            folder = tempfile.mkdtemp(prefix="tsur-bench-monitoring-")
            url = f"sqlite:///{folder}/bench.sqlite3"
            self.stderr.write(f"Без --database: временная база SQLite в {folder} (для PostgreSQL укажите --database).")
        argv = [sys.executable, "-m", "tsur", "bench", "monitoring"]
        for name in ("count", "runs", "batch", "updates", "duplicates", "appeals", "match_limit"):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        argv += ["--http"] * options["http"] + ["--no-matching"] * options["no_matching"]
        # The --http server listens on plain http://127.0.0.1 (no redirect to HTTPS).
        env = {
            **os.environ,
            "TSUR_DATABASE_URL": url,
            "TSUR_BENCH_CHILD": "1",
            "TSUR_LOG_LEVEL": "WARNING",
            "TSUR_CELERY_BROKER_URL": "",
            "TSUR_SSL_REDIRECT": "false",
        }
        try:
            result = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True)
        finally:
            if folder:
                import shutil

                shutil.rmtree(folder, ignore_errors=True)
        if result.returncode:
            raise CommandError(f"нагрузочный тест завершился с кодом {result.returncode}")
        self.stdout.write(result.stdout.strip())

    def workspace(self, options: dict) -> None:
        """The queue and the card with 100,000 appeals (tsur.demo.bench_workspace), in a child
        process whose database is the scratch one."""
        if os.environ.get("TSUR_BENCH_CHILD") == "1":
            from tsur.demo.bench_workspace import run_bench

            report = run_bench(options, lambda line: self.stderr.write(line))
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1))
            return
        url = options["database"]
        if "bench" not in url.rsplit("/", 1)[-1] and not options["force"]:
            raise CommandError("База для нагрузочного теста заполняется тестовыми данными: укажите базу с 'bench' в имени или --force.")
        argv = [sys.executable, "-m", "tsur", "bench", "workspace", "--database", url]
        argv += ["--count", str(options["count"]), "--runs", str(options["runs"])]
        env = {
            **os.environ,
            "TSUR_DATABASE_URL": url,
            "TSUR_BENCH_CHILD": "1",
            "TSUR_LOG_LEVEL": "WARNING",
            "TSUR_CELERY_BROKER_URL": "",
            "TSUR_SSL_REDIRECT": "false",
        }
        result = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True)
        if result.returncode:
            raise CommandError(f"нагрузочный тест завершился с кодом {result.returncode}")
        self.stdout.write(result.stdout.strip())

    # --- load (part load) ---
    def load(self, options: dict) -> None:
        """The production stack under load (tsur.demo.bench_load), in a child process whose
        database is the scratch one; the servers it starts inherit that environment."""
        if os.environ.get("TSUR_BENCH_CHILD") == "1":
            from tsur.demo.bench_load import markdown, run_bench

            report = run_bench(options, lambda line: self.stderr.write(line))
            self.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) if options["json"] else markdown(report))
            return
        url = options["database"]
        if "bench" not in url.rsplit("/", 1)[-1] and not options["force"]:
            raise CommandError("База для нагрузочного теста заполняется тестовыми данными: укажите базу с 'bench' в имени или --force.")
        argv = [sys.executable, "-m", "tsur", "bench", "load", "--database", url]
        for name in ("count", "port", "workers", "connections"):
            argv += [f"--{name}", str(options[name])]
        argv += ["--quick"] * options["quick"] + ["--json"] * options["json"]
        env = {
            **os.environ,
            "TSUR_DATABASE_URL": url,
            "TSUR_BENCH_CHILD": "1",
            "TSUR_LOG_LEVEL": "WARNING",
            "TSUR_CELERY_BROKER_URL": "",
            "TSUR_SSL_REDIRECT": "false",
            "TSUR_HTTPS": "false",
            "TSUR_TASKS_INLINE": "false",  # as in production: the follow-ups on the background runner
            "TSUR_RATE_INTAKE_ANONYMOUS": "10000000/m",
            "TSUR_RATE_INTAKE_KEY": "10000000/m",
        }
        result = subprocess.run(argv, env=env, stdout=subprocess.PIPE, text=True)
        if result.returncode:
            raise CommandError(f"нагрузочный тест завершился с кодом {result.returncode}")
        self.stdout.write(result.stdout.strip())

    # --- end load ---

    def steps(self, shared: Path, options: dict) -> None:
        from tsur.triage.engine.bench import bench_steps, markdown_steps, spb_texts, synthetic_texts

        limit = options["limit"] or None
        records = None if options["synthetic"] else spb_texts(shared, limit)
        if records is None:
            texts, source = synthetic_texts(limit or 2100), "synthetic"
        else:
            texts, source = [r["text"] for r in records], "St Petersburg"
        report = bench_steps(texts, runs=max(1, options["runs"]), source=source)
        self.stdout.write(markdown_steps(report) if options["markdown"] else json.dumps(report, ensure_ascii=False, indent=1))

    def triage(self, shared: Path, options: dict) -> None:
        from tsur.triage.engine.bench import bench_triage, markdown, spb_texts

        records = spb_texts(shared, options["limit"] or None)
        if records is None:
            self.stdout.write(f"bench triage skipped: {shared / 'spb' / 'appeals.csv.gz'} not found (give --data DIR with spb/appeals.csv.gz)")
            return
        report = bench_triage(
            records,
            model_dir=options["model"] or None,
            runs=max(1, options["runs"]),
            full_limit=options["full_limit"] or None,
            workers=max(1, options["workers"]),
        )
        self.stdout.write(markdown(report) if options["markdown"] else json.dumps(report, ensure_ascii=False, indent=1))
