"""`tsur classify [--model DIR] [--workers N] [--configured-places]`: JSON lines in (stdin), one
triage decision per line out (stdout), in input order. The schema is in docs/classify.md; the
work is done by `tsur.triage.engine.pipeline.Triage`, on N processes by
`tsur.triage.engine.parallel` (this command only reads and writes lines).

Places are the demo configuration's (tsur/demo/data), so the command works without a database;
`--configured-places` uses the territories, streets and outside places of this platform's
database instead, as the platform's own triage does."""

from __future__ import annotations

import json
import os
import select
import sys

from django.core.management.base import BaseCommand, CommandError

from tsur.triage.engine.model import ModelError
from tsur.triage.engine.parallel import ParallelTriage
from tsur.triage.engine.pipeline import MAX_LINE_BYTES, Triage, too_long_line
from tsur.triage.engine.place import demo_places
from tsur.triage.places import place_config


def _idle(fd: int) -> bool:
    """True when a read of `fd` would block (nothing typed or piped in yet)."""
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return False
    return not ready


def _chunks_from_fd(fd: int):
    """Lists of complete lines as they arrive (a pipe gives many per read, a terminal one), so a
    batch is classified as soon as its lines are there. A line longer than MAX_LINE_BYTES is not
    kept in memory: it is reported as too long (with its id when the start shows one).

    An empty list means "no more input for now": with --workers the batches in flight are then
    finished and written, so a line typed at a terminal is answered before the next one comes."""
    pending = b""
    skipped = 0  # bytes of an over-long line dropped so far (0: not inside one)
    head = b""
    busy = False  # lines handed out since the last empty list
    while True:
        if busy and _idle(fd):
            yield []
            busy = False
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
            busy = True
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
        parser.add_argument(
            "--configured-places",
            action="store_true",
            help="look places up in this platform's configured territories and streets (the database), not the demo's files",
        )
        parser.add_argument("--no-ner", action="store_true", help="place lookup without the natasha NER fallback (faster)")
        parser.add_argument("--no-screening", action="store_true", help="skip complaint screening (is_complaint is null)")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes for everything but duplicate detection, which stays in this process in input order; the output is the same as with 1",
        )

    def handle(self, *args, **options) -> None:
        workers = options["workers"]
        if workers < 1:
            raise CommandError("--workers must be at least 1")
        places = None
        if not options["no_place"]:
            if options["configured_places"]:
                places = place_config()
            else:
                places = demo_places()
        try:
            triage = Triage.load(
                options["model"] or None,
                places=places,
                place_ner=not options["no_ner"],
                with_screening=not options["no_screening"],
            )
        except ModelError as exc:
            raise CommandError(f"cannot load the model: {exc}") from exc
        for field, why in triage.fallbacks.items():
            self.stderr.write(f"note: {field}: {why}")
        if workers == 1:
            self._read(triage.stream(), options)
            return
        with ParallelTriage(triage, workers) as parallel:
            self._read(parallel.stream(), options)

    def _read(self, session, options) -> None:
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
        def write(results) -> None:
            for result in results:
                out.write(json.dumps(result, ensure_ascii=False, default=str))
            out.flush()

        for lines in chunks:
            write(session.process_lines(lines) if lines else session.finish())
        write(session.finish())
