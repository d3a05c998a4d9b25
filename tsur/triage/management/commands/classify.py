"""`tsur classify [--model DIR]`: JSON lines in (stdin), one triage decision per line out (stdout),
in input order. The schema is in docs/classify.md; the work is done by
`tsur.triage.engine.pipeline.Triage` (this command only reads and writes lines)."""

from __future__ import annotations

import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from tsur.triage.engine.model import ModelError
from tsur.triage.engine.pipeline import MAX_LINE_BYTES, Triage, too_long_line


def _chunks_from_fd(fd: int):
    """Lists of complete lines as they arrive (a pipe gives many per read, a terminal one), so a
    batch is classified as soon as its lines are there. A line longer than MAX_LINE_BYTES is not
    kept in memory: it is reported as too long (with its id when the start shows one)."""
    pending = b""
    skipped = 0  # bytes of an over-long line dropped so far (0: not inside one)
    head = b""
    while True:
        data = os.read(fd, 1 << 16)
        if not data:
            break
        pending += data
        lines: list = pending.split(b"\n")
        pending = lines.pop()
        if skipped and lines:
            lines[0] = too_long_line(head, skipped + len(lines[0]))
            skipped = 0
        if len(pending) > MAX_LINE_BYTES:
            if not skipped:
                head = pending[:4096]
            skipped += len(pending)
            pending = b""
        if lines:
            yield lines
    if skipped:
        yield [too_long_line(head, skipped)]
    elif pending.strip():
        yield [pending]


def _chunks_from_stream(stream, size: int = 512):
    batch = []
    for line in stream:
        batch.append(line)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class Command(BaseCommand):
    help = "Classify JSON lines from standard input: sector block, category, place, urgency, complaint, duplicates."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", default="", help="model directory (default: the shipped model)")
        parser.add_argument("--input", default="-", help="JSON-lines file to read (default: standard input)")
        parser.add_argument("--no-place", action="store_true", help="skip the place lookup (territory is null)")
        parser.add_argument("--no-ner", action="store_true", help="place lookup without the natasha NER fallback (faster)")
        parser.add_argument("--no-screening", action="store_true", help="skip complaint screening (is_complaint is null)")

    def handle(self, *args, **options) -> None:
        try:
            triage = Triage.load(
                options["model"] or None,
                with_place=not options["no_place"],
                place_ner=not options["no_ner"],
                with_screening=not options["no_screening"],
            )
        except ModelError as exc:
            raise CommandError(f"cannot load the model: {exc}") from exc
        for field, why in triage.fallbacks.items():
            self.stderr.write(f"note: {field}: {why}")
        session = triage.stream()
        out = self.stdout
        if options["input"] != "-":
            with open(options["input"], "rb") as fh:
                chunks = _chunks_from_stream(fh)
                self._run(session, chunks, out)
            return
        stdin = self.stdin if hasattr(self, "stdin") else sys.stdin
        try:
            fd = stdin.buffer.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        chunks = _chunks_from_fd(fd) if fd is not None else _chunks_from_stream(stdin)
        self._run(session, chunks, out)

    @staticmethod
    def _run(session, chunks, out) -> None:
        for lines in chunks:
            for result in session.process_lines(lines):
                out.write(json.dumps(result, ensure_ascii=False, default=str))
            out.flush()
