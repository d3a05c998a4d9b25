"""Benchmarks. Each prints medians over the runs with min and max, so the machine's noise is visible.

- `tsur bench triage [--data DIR] [--runs N] [--workers N] [--markdown]`: speed and memory of
  triage on the St Petersburg texts of ../shared/data (skipped with a message when they are absent).
- `tsur bench steps [--data DIR | --synthetic] [--runs N] [--limit N] [--markdown]`: texts per
  second of personal-data masking, urgency and place, each alone, and the gazetteer's build time;
  on the St Petersburg texts, or on a built-in synthetic sample when they are absent.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Benchmarks (subcommands: triage, steps)."

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

    def handle(self, *args, **options) -> None:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        env = os.environ.get("TSUR_SHARED_DATA")
        shared = Path(options["data"] or env or Path(settings.BASE_DIR).parent / "shared" / "data")
        if options["what"] == "steps":
            self.steps(shared, options)
        else:
            self.triage(shared, options)

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
