"""Export operators' corrections as labelled examples (JSONL) for the next training run:
`tsur triage_corrections --out corrections.jsonl`, then
`tsur triage build-default --corrections corrections.jsonl` retrains the default model with them
added to its training data (docs/classify.md, "Operators' corrections")."""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand
from django.utils.dateparse import parse_datetime

from tsur.triage.services import training_examples


class Command(BaseCommand):
    help = "Export operators' category corrections as JSON lines (personal data masked)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", default="-", help="file to write (default: standard output)")
        parser.add_argument("--since", default="", help="only corrections made since this ISO-8601 moment")

    def handle(self, *args, **options) -> None:
        since = parse_datetime(options["since"]) if options["since"] else None
        out = sys.stdout if options["out"] == "-" else open(options["out"], "w", encoding="utf-8")
        count = 0
        try:
            for row in training_examples(since):
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
        finally:
            if out is not sys.stdout:
                out.close()
        self.stderr.write(f"exported {count} corrected examples")
