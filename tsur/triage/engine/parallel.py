"""Triage of one stream on several processes, with the output exactly as one process gives it.

Every stage but one depends only on the record: parsing, validation, classification, complaint
screening, place, urgency and personal data. Those run on `workers` processes, batch by batch
(`Triage.analyse`). Duplicate detection is stateful across the stream — `duplicate_of` must name
an earlier line — so it stays in the parent process and sees the analysed batches strictly in
input order (`link_duplicates`). The result is the same lines, in the same order, with the same
bytes as `Triage.process` / `StreamSession` give (tests/triage/test_parallel.py checks it).

Workers are forked from the parent where the platform allows it, so they share the loaded
models instead of loading them again; elsewhere each worker loads the pipeline with the same
options (`Triage.load_options`). At most `window` batches are in flight, so memory stays bounded
however long the stream is.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

from tsur.triage.engine.pipeline import BATCH, Triage, link_duplicates

_WORKER_TRIAGE: Triage | None = None


def _start_worker(inherited: Triage | None, load_options: dict | None) -> None:
    global _WORKER_TRIAGE
    _WORKER_TRIAGE = inherited if inherited is not None else Triage.load(**(load_options or {}))


def _analyse_lines(lines: list[Any]) -> list[tuple[dict, dict | None]]:
    assert _WORKER_TRIAGE is not None
    return _WORKER_TRIAGE.analyse(list(Triage._parse_lines(lines)))


def _analyse_records(records: list[Any]) -> list[tuple[dict, dict | None]]:
    assert _WORKER_TRIAGE is not None
    return _WORKER_TRIAGE.analyse(records)


class ParallelTriage:
    """A pool of `workers` processes running `triage`'s stateless stages. Start it once and use
    it for many streams (`stream()` / `process()`); `close()` (or a `with` block) stops it."""

    def __init__(self, triage: Triage, workers: int, *, batch: int = BATCH, window: int | None = None) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.triage = triage
        self.workers = workers
        self.batch = max(1, batch)
        self.window = window or 2 * workers  # batches in flight: every worker busy, one queued each
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            initargs: tuple = (triage, None)  # inherited by fork, never pickled
            prepare = getattr(triage.gazetteer, "prepare_ner", None)
            if prepare is not None:
                prepare()  # one shared copy of the NER model rather than one load per worker
        else:
            if triage.load_options is None:
                raise ValueError("this platform cannot fork: give a pipeline made by Triage.load, which workers can load again")
            context = multiprocessing.get_context("spawn")
            initargs = (None, triage.load_options)
        self._pool = context.Pool(workers, initializer=_start_worker, initargs=initargs)

    def stream(self) -> ParallelSession:
        """A session for one input stream (its own duplicate state), fed in chunks."""
        return ParallelSession(self)

    def process(self, records: Iterable[Any]) -> Iterator[dict]:
        """Like `Triage.process`: one output dict per record, in order."""
        session = self.stream()
        chunk: list[Any] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= self.batch:
                yield from session.feed(chunk)
                chunk = []
        if chunk:
            yield from session.feed(chunk)
        yield from session.finish()

    def close(self) -> None:
        self._pool.close()
        self._pool.join()

    def __enter__(self) -> ParallelTriage:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is not None:
            self._pool.terminate()
        self.close()


class ParallelSession:
    """One stream on a `ParallelTriage`: `feed` / `feed_lines` hand over input and return the
    output lines that are ready, in order; `finish` returns the rest."""

    def __init__(self, parallel: ParallelTriage) -> None:
        self.parallel = parallel
        factory = parallel.triage.duplicate_factory
        self.detector = factory() if factory is not None else None
        self.seen_texts: dict[str, Any] = {}
        self._pending: deque = deque()

    def feed(self, records: list[Any]) -> list[dict]:
        """Records (dicts, as `Triage.process` takes)."""
        return self._submit(records, lines=False)

    def feed_lines(self, lines: list[Any]) -> list[dict]:
        """Raw JSON lines (bytes or str; blank ones skipped), parsed in the workers."""
        return self._submit(lines, lines=True)

    process_lines = feed_lines  # the name StreamSession uses

    def finish(self) -> list[dict]:
        """Wait for every batch in flight; their output lines, in order."""
        out: list[dict] = []
        while self._pending:
            out.extend(self._link(self._pending.popleft()))
        return out

    def _submit(self, items: list[Any], *, lines: bool) -> list[dict]:
        pool, size = self.parallel._pool, self.parallel.batch
        work = _analyse_lines if lines else _analyse_records
        out: list[dict] = []
        for start in range(0, len(items), size):
            self._pending.append(pool.apply_async(work, (items[start : start + size],)))
            # Hand back what is done at the head; wait only when the window is full.
            while self._pending and (self._pending[0].ready() or len(self._pending) > self.parallel.window):
                out.extend(self._link(self._pending.popleft()))
        return out

    def _link(self, result: Any) -> list[dict]:
        return link_duplicates(result.get(), self.detector, self.seen_texts)


__all__ = ["ParallelSession", "ParallelTriage"]
