"""Speed and memory of triage: model load, first pipeline load, classification alone, the full
pipeline on one process and on several (`bench_triage`); and the steps that need no model, each
alone: personal-data masking, urgency, place and the gazetteer's construction (`bench_steps`).

Pure Python (no Django). Every figure is the median of `runs` repetitions, with the min and max
beside it so the machine's noise is visible. Throughput counts messages per second of wall time
(set OPENBLAS_NUM_THREADS=1: each process is meant to be single-threaded). "Full triage" is
`Triage.process` (classification, place, urgency, screening, duplicates, personal data) on one
process, and `ParallelTriage.process` with `workers` processes (duplicates in the parent).

Speeds are measured here, not asserted in unit tests: a threshold there fails on a busy machine
and says nothing on a fast one.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from tsur.triage.engine.train import read_table

_REPO = Path(__file__).resolve().parents[3]

# Run in a fresh interpreter: everything a first `tsur classify` pays before its first answer
# (imports, model, gazetteer, screening model, the first records).
_FIRST_LOAD = """
import json, sys, time
started = time.perf_counter()
from tsur.triage.engine.pipeline import Triage
from tsur.triage.engine.place import demo_places
triage = Triage.load(sys.argv[1] or None, places=demo_places())
list(triage.process([{"id": 1, "text": "В Калуге на ул. Ленина, д. 5 яма на дороге"}]))
print(json.dumps(time.perf_counter() - started))
"""


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


# Messages of the kinds the steps meet (contacts and names, urgent and ordinary complaints, a
# town with a street), for `bench_steps` when the real ones are absent. Invented: no resident's text.
SYNTHETIC_TEXTS = (
    "Во дворе дома 5 по улице Садовой третью неделю не вывозят мусор, контейнеры переполнены, звонили в УК.",
    "Звонил Иванов И.И., тел. 8 900 123-45-67, обещали приехать, но никто не приехал.",
    "Просим отремонтировать дорогу у школы им. С.М. Кирова: ямы глубокие, машины бьют колёса.",
    "Третий день нет воды во всём доме, управляющая компания не отвечает на звонки.",
    "Холодные батареи в квартире, в комнатах +15, маленький ребёнок болеет.",
    "В Калуге на ул. Ленина, д. 15 третий день не горит фонарь у подъезда, просим починить.",
)

# A day of the heating season, so the seasonal urgency rules (cold radiators) are checked too.
URGENCY_DAY = date(2026, 1, 15)


def synthetic_texts(count: int = 2100) -> list[str]:
    return [SYNTHETIC_TEXTS[i % len(SYNTHETIC_TEXTS)] for i in range(count)]


def _machine() -> dict:
    return {
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "unset"),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
    }


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


def _first_load_seconds(model_dir: str | None) -> float:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", _FIRST_LOAD, model_dir or ""], env=env, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1]))


def bench_triage(
    records: Sequence[dict],
    *,
    model_dir: str | None = None,
    runs: int = 5,
    full_limit: int | None = 10000,
    batch: int = 512,
    workers: int = 2,
) -> dict:
    """Benchmark on `records` (dicts with id, text, created_at)."""
    from tsur.triage.engine.model import TextModel
    from tsur.triage.engine.parallel import ParallelTriage
    from tsur.triage.engine.pipeline import DEFAULT_MODEL_DIR, Triage
    from tsur.triage.engine.place import demo_places

    directory = Path(model_dir) if model_dir else DEFAULT_MODEL_DIR
    load_times = [_timed(lambda: TextModel.load(directory)) for _ in range(runs)]
    model = TextModel.load(directory)
    size = sum(p.stat().st_size for p in directory.iterdir() if p.is_file())
    texts = [r["text"] for r in records]

    def classify_all() -> None:
        for start in range(0, len(texts), batch):
            model.classify(texts[start : start + batch])

    classify_all()  # warm-up (token cache, dense weights, lazy imports)
    class_rates = [len(texts) / _timed(classify_all) for _ in range(runs)]
    class_peak = _peak_traced(classify_all)

    full = list(records[: full_limit or len(records)])
    started = time.perf_counter()
    list(Triage.load(model_dir, places=demo_places()).process(full[:1]))  # the first load in this process (numpy and scipy already imported)
    first_in_process = time.perf_counter() - started
    rates: dict[str, dict] = {}
    peaks: dict[str, float] = {}
    pool_start: dict[str, float] = {}
    fallbacks: dict[str, str] = {}
    for ner in (True, False):
        label = "ner_on" if ner else "ner_off"
        triage = Triage.load(model_dir, places=demo_places(), place_ner=ner)
        fallbacks = dict(triage.fallbacks)

        def run_single(t: Triage = triage) -> None:
            for _ in t.process(full):
                pass

        run_single()  # warm-up: lazy parts (gazetteer caches, NER when a text needs it)
        rates[f"1_process_{label}"] = _summary([len(full) / _timed(run_single) for _ in range(runs)], 0)
        peaks[f"1_process_{label}"] = round(_peak_traced(run_single), 1)
        started = time.perf_counter()
        with ParallelTriage(triage, workers, batch=batch) as parallel:
            pool_start[label] = round(time.perf_counter() - started, 2)

            def run_parallel(p: ParallelTriage = parallel) -> None:
                for _ in p.process(full):
                    pass

            run_parallel()  # warm-up: every worker has seen batches
            rates[f"{workers}_processes_{label}"] = _summary([len(full) / _timed(run_parallel) for _ in range(runs)], 0)
    children_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the pool workers (all joined by now)
    first_loads = [_first_load_seconds(model_dir) for _ in range(runs)]

    return {
        "machine": _machine(),
        "model_dir": str(directory),
        "model_bytes": size,
        "messages_classification": len(texts),
        "messages_full": len(full),
        "workers": workers,
        "model_load_seconds": _summary(load_times, 3),
        "pipeline_first_load_seconds_in_process": round(first_in_process, 2),
        "pipeline_first_load_seconds_fresh_process": _summary(first_loads, 2),
        "classification_msgs_per_second": _summary(class_rates, 0),
        "full_triage_msgs_per_second": rates,
        "pool_start_seconds": pool_start,
        "peak_traced_mib_classification": round(class_peak, 1),
        "peak_traced_mib_full": peaks,
        "max_rss_mib_main_process": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "max_rss_mib_worker": round(children_rss, 1),
        "fallbacks": fallbacks,
    }


def bench_steps(texts: Sequence[str], *, runs: int = 5, source: str = "") -> dict:
    """Texts per second of each triage step that needs no model, alone on `texts`: personal-data
    masking (`mask_personal_data`: the regexes, without natasha's names), urgency (`assess` on a
    heating-season day) and place (`Gazetteer.locate`, the gazetteer alone and with the natasha
    fallback); and the seconds to build the gazetteer from the shipped files. Each step runs once
    untimed first (regex caches, natasha's model). Counts only: no text is returned."""
    from tsur.lib.pdmask import mask_personal_data
    from tsur.triage.engine.place import Gazetteer
    from tsur.triage.engine.urgency import HIGH, assess

    texts = list(texts)
    found: dict[str, int] = {}

    def rate(label: str, step: Callable[[str], bool]) -> dict:
        def run() -> None:
            found[label] = sum(1 for t in texts if step(t))

        run()
        return _summary([len(texts) / _timed(run) for _ in range(runs)], 0)

    masking = rate("masking", lambda t: mask_personal_data(t) != t)
    urgency = rate("urgency_high", lambda t: assess(t, when=URGENCY_DAY)[0] == HIGH)
    build_times = [_timed(lambda: Gazetteer.from_files(use_natasha=False)) for _ in range(runs)]
    gazetteer = Gazetteer.from_files(use_natasha=False)
    place = {"gazetteer": rate("place_gazetteer", lambda t: gazetteer.locate(t) is not None)}
    gazetteer.use_natasha = True
    natasha = gazetteer.prepare_ner()
    if natasha:
        place["with_natasha"] = rate("place_with_natasha", lambda t: gazetteer.locate(t) is not None)
    return {
        "machine": _machine(),
        "texts": len(texts),
        "texts_source": source,
        "masking_texts_per_second": masking,
        "masking_texts_changed": found["masking"],
        "urgency_texts_per_second": urgency,
        "urgency_day": URGENCY_DAY.isoformat(),
        "urgency_high": found["urgency_high"],
        "gazetteer_build_seconds": _summary(build_times, 3),
        "place_texts_per_second": place,
        "place_found": {k.removeprefix("place_"): v for k, v in found.items() if k.startswith("place_")},
        "natasha_available": natasha,
    }


def _cell(s: dict, unit: str = "") -> str:
    return f"**{s['median']:g}**{unit} ({s['min']:g}–{s['max']:g})"


def markdown_steps(report: dict) -> str:
    """`bench_steps`' report as a Markdown table (medians, min–max in brackets)."""
    place, found = report["place_texts_per_second"], report["place_found"]
    texts = f"{report['texts']:,} {report['texts_source']} texts"
    rows = [
        (f"personal-data masking, regex path ({texts})", _cell(report["masking_texts_per_second"], " texts/s")),
        (f"urgency ({report['urgency_day']}; high: {report['urgency_high']:,})", _cell(report["urgency_texts_per_second"], " texts/s")),
        (f"place, gazetteer alone (found: {found['gazetteer']:,})", _cell(place["gazetteer"], " texts/s")),
    ]
    if "with_natasha" in place:
        rows.append((f"place, with the natasha fallback (found: {found['with_natasha']:,})", _cell(place["with_natasha"], " texts/s")))
    else:
        rows.append(("place, with the natasha fallback", "natasha not available"))
    rows.append(("gazetteer construction from the shipped files", _cell(report["gazetteer_build_seconds"], " s")))
    lines = ["| step | median (min–max) |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in rows]
    return "\n".join(lines)


def markdown(report: dict) -> str:
    """The report as a Markdown table (medians, min–max in brackets)."""
    workers = report["workers"]
    full = report["full_triage_msgs_per_second"]
    pools, peaks = report["pool_start_seconds"], report["peak_traced_mib_full"]
    first_load = report["pipeline_first_load_seconds_fresh_process"]
    first_in_process = report["pipeline_first_load_seconds_in_process"]
    class_peak = report["peak_traced_mib_classification"]
    rows = [
        ("model load (`TextModel.load`)", _cell(report["model_load_seconds"], " s")),
        ("pipeline first load in the benchmark process (models, gazetteer, screening; one run)", f"{first_in_process:g} s"),
        ("pipeline first load, fresh process (+ Python, numpy, scipy imports, first record)", _cell(first_load, " s")),
        (f"classification alone, 1 process ({report['messages_classification']:,} texts)", _cell(report["classification_msgs_per_second"], " msg/s")),
        (f"full triage, 1 process, NER fallback on ({report['messages_full']:,} texts)", _cell(full["1_process_ner_on"], " msg/s")),
        ("full triage, 1 process, NER fallback off", _cell(full["1_process_ner_off"], " msg/s")),
        (f"full triage, {workers} processes (`--workers {workers}`), NER fallback on", _cell(full[f"{workers}_processes_ner_on"], " msg/s")),
        (f"full triage, {workers} processes, NER fallback off", _cell(full[f"{workers}_processes_ner_off"], " msg/s")),
        (f"start of the {workers}-process pool (NER on / off)", f"{pools['ner_on']:g} s / {pools['ner_off']:g} s"),
        ("peak traced heap: classification / full triage (NER on)", f"{class_peak:g} MiB / {peaks['1_process_ner_on']:g} MiB"),
        ("max RSS: main process / a worker", f"{report['max_rss_mib_main_process']:g} MiB / {report['max_rss_mib_worker']:g} MiB"),
        ("shipped model size", f"{report['model_bytes'] / 2**20:.1f} MiB ({report['model_bytes']:,} bytes)"),
    ]
    lines = ["| what | median (min–max) |", "|---|---|"]
    lines += [f"| {what} | {value} |" for what, value in rows]
    return "\n".join(lines)
