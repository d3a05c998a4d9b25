#!/usr/bin/env python3
"""Reproduce the "Stability and ablations" table of docs/triage-evaluation.md (section 1).

Usage (from the repository root):

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/triage_ablation.py [--data ../shared/data]
        [--seeds 0 1 2 3] [--only final no-topic-names …] [--state var/triage-ablation.json]

Each variant changes one thing in the shipped recipe (`DefaultRecipe`) and is scored with
`evaluate_default_cv`: Kursk 5-fold cross-validation, every fold a full training, once per fold
seed. A row gives the mean over the seeds with the min–max in brackets. One process, one training
at a time (the compute is real: 5 trainings per seed and variant). With `--state`, every finished
(variant, seed) is saved at once and skipped on the next run, so an interrupted run resumes.
Prints Markdown rows only (figures, never a resident's text). Reads only the training-side files
of the shared data folder; exits 0 with a message when it is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tsur.triage.engine.evaluate import evaluate_default_cv  # noqa: E402
from tsur.triage.engine.recipe import DefaultRecipe, default_training_set, load_taxonomy  # noqa: E402

TAXONOMY = REPO / "tsur" / "demo" / "data" / "taxonomy.json"


def _balance(value: float) -> Callable[[DefaultRecipe], DefaultRecipe]:
    return lambda r: dataclasses.replace(r, config=dataclasses.replace(r.config, balance=value))


# (key, row label, change to the shipped recipe)
VARIANTS: list[tuple[str, str, Callable[[DefaultRecipe], DefaultRecipe]]] = [
    ("final", "final recipe (shipped)", lambda r: r),
    ("no-topic-names", "without the topic names as examples", lambda r: dataclasses.replace(r, names_weight=0.0)),
    ("spb-0.1", "+ SPb rows, block head, weight 0.1 (aux. indicator, Kursk vocabulary)", lambda r: dataclasses.replace(r, spb_block_weight=0.1)),
    ("vk-0.3", "+ VK tagged posts, block head, weight 0.3", lambda r: dataclasses.replace(r, vk_weight=0.3)),
    ("mix-1.0", "block_mix 1.0 (direct block head only)", lambda r: dataclasses.replace(r, block_mix=1.0)),
    ("mix-0.0", "block_mix 0.0 (topic head summed per block only)", lambda r: dataclasses.replace(r, block_mix=0.0)),
    ("balance-0.5", "class-weight exponent 0.5 (shipped: 0.75)", _balance(0.5)),
]

FIGURES = [("block", "accuracy"), ("block", "macro_f1"), ("category", "accuracy"), ("category", "macro_f1"), ("block", "ece"), ("category", "ece")]


def _cell(values: list[float]) -> str:
    mean = statistics.fmean(values)
    if len(values) == 1:
        return f"{mean:.3f}"
    return f"{mean:.3f} ({min(values):.3f}–{max(values):.3f})"


def _row(label: str, runs: list[dict]) -> str:
    cells = [_cell([run[head][name] for run in runs]) for head, name in FIGURES[:4]]
    ece = " / ".join(f"{statistics.fmean(run[head]['ece'] for run in runs):.3f}" for head in ("block", "category"))
    return f"| {label} | {' | '.join(cells)} | {ece} |"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--only", nargs="+", choices=[key for key, _, _ in VARIANTS], help="variants to run (default: all)")
    ap.add_argument("--state", type=Path, help="JSON file keeping finished runs (resume after an interruption)")
    args = ap.parse_args()
    if not (args.data / "kursk" / "train.csv").is_file():
        print(f"skipped: {args.data / 'kursk' / 'train.csv'} not found")
        return 0
    taxonomy = load_taxonomy(TAXONOMY)
    state: dict = json.loads(args.state.read_text(encoding="utf-8")) if args.state and args.state.is_file() else {}
    chosen = [v for v in VARIANTS if not args.only or v[0] in args.only]
    for key, _label, change in chosen:
        recipe = change(DefaultRecipe())
        data = None
        for seed in args.seeds:
            run_key = f"{key}/seed{seed}"
            if run_key in state and state[run_key]["recipe"] == recipe.to_json():
                continue
            if data is None:
                data = default_training_set(str(args.data), taxonomy, recipe)
            started = time.perf_counter()
            report = evaluate_default_cv(str(args.data), taxonomy, recipe, seed=seed, data=data)
            state[run_key] = {
                "recipe": report["recipe"],
                "sources": report["sources"],
                "block": {k: report["block"][k] for k in ("accuracy", "macro_f1", "ece")},
                "category": {k: report["category"][k] for k in ("accuracy", "macro_f1", "ece")},
                "seconds": round(time.perf_counter() - started, 1),
            }
            done = state[run_key]
            print(f"{run_key}: block {done['block']}, category {done['category']}, {done['seconds']} s", file=sys.stderr, flush=True)
            if args.state:
                args.state.parent.mkdir(parents=True, exist_ok=True)
                args.state.write_text(json.dumps(state, ensure_ascii=False, indent=1), encoding="utf-8")
    print("| variant | block accuracy | block macro-F1 | category accuracy | category macro-F1 | ECE block / category |")
    print("|---|---|---|---|---|---|")
    for key, label, _change in chosen:
        runs = [state[f"{key}/seed{seed}"] for seed in args.seeds if f"{key}/seed{seed}" in state]
        if runs:
            print(_row(label, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
