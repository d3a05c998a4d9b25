"""Speed and memory of triage: model load, classification alone, the full pipeline.

Pure Python (no Django). Every figure is the median of `runs` repetitions, with the min and max
beside it so the machine's noise is visible. Throughput counts messages per second of wall time in
this one process (set OPENBLAS_NUM_THREADS=1: the benchmark is meant to be single-threaded).
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tsur.triage.engine.train import read_table


def spb_texts(shared_data: str | os.PathLike, limit: int | None = None) -> list[dict] | None:
    """Records (id, text, created_at) of the St Petersburg file, or None when it is absent."""
    path = Path(shared_data) / "spb" / "appeals.csv.gz"
    if not path.is_file():
        return None
    rows = read_table(path)
    rows = [r for r in rows if str(r.get("created_dt", "")) < "2021-04"]  # the held-back month is never in the file anyway
    if limit:
        rows = rows[:limit]
    return [{"id": r["id"], "text": r["text"], "created_at": r["created_dt"]} for r in rows]


def _summary(values: Sequence[float], digits: int = 1) -> dict:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


def _timed(fn: Callable[[], Any]) -> float:
    gc.collect()
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _peak_traced(fn: Callable[[], Any]) -> float:
    """Peak Python/numpy heap allocated while `fn` runs (MiB, tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def bench_triage(records: Sequence[dict], *, model_dir: str | None = None, runs: int = 5, full_limit: int | None = 10000, batch: int = 512) -> dict:
    """Benchmark on `records` (dicts with id, text, created_at)."""
    from tsur.triage.engine.model import TextModel
    from tsur.triage.engine.pipeline import DEFAULT_MODEL_DIR, Triage

    directory = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    load_times = [_timed(lambda: TextModel.load(directory)) for _ in range(runs)]
    model = TextModel.load(directory)
    size = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    texts = [r["text"] for r in records]

    def classify_all() -> None:
        for start in range(0, len(texts), batch):
            model.classify(texts[start : start + batch])

    classify_all()  # warm-up (stemmer cache, lazy imports)
    class_rates = [len(texts) / _timed(classify_all) for _ in range(runs)]
    class_peak = _peak_traced(classify_all)

    full = list(records[: full_limit or len(records)])
    first_load = 0.0
    full_rates: dict[str, list[float]] = {}
    peaks: dict[str, float] = {}
    fallbacks: dict[str, str] = {}
    for label, ner in (("place_with_ner_fallback", True), ("place_without_ner", False)):
        started = time.perf_counter()
        triage = Triage.load(model_dir, place_ner=ner)
        list(triage.process(records[:10]))  # first use builds lazy parts (gazetteer, screen)
        if not first_load:
            first_load = time.perf_counter() - started
        fallbacks = dict(triage.fallbacks)

        def run_full(t: Triage = triage) -> None:
            for _ in t.process(full):
                pass

        run_full()
        full_rates[label] = [len(full) / _timed(run_full) for _ in range(runs)]
        peaks[label] = round(_peak_traced(run_full), 1)

    return {
        "machine": {
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
        },
        "model_dir": str(directory),
        "model_bytes": size,
        "messages_classification": len(texts),
        "messages_full": len(full),
        "model_load_seconds": _summary(load_times, 3),
        "pipeline_first_load_seconds_incl_gazetteer_and_screen": round(first_load, 3),
        "classification_msgs_per_second": _summary(class_rates, 0),
        "full_triage_msgs_per_second": {k: _summary(v, 0) for k, v in full_rates.items()},
        "peak_traced_mib_classification": round(class_peak, 1),
        "peak_traced_mib_full": peaks,
        "max_rss_mib_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "fallbacks": fallbacks,
    }
