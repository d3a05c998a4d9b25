#!/usr/bin/env python3
"""Reproduce the figures of docs/triage-evaluation-screening.md and docs/triage-evaluation-duplicates.md.

Usage (from the repository root):

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/evaluate_screening_duplicates.py [--data ../shared/data] [--only screening|duplicates]

Prints Markdown tables. Reads only the training-side files of the shared data folder (Kursk
``train.csv``, SPb ``appeals.csv.gz`` up to 2021-03-31, VK posts); the held-back Kursk test and
SPb April 2021 are not there and are never looked for. Exits 0 with a "skipped" message when the
folder is absent. Never prints a resident's text.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import sys
import time
from collections import defaultdict, deque
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from tsur.triage.engine import screening_data as sd
from tsur.triage.engine.duplicates import DuplicateDetector, _distance_m, jaccard, normalise_address
from tsur.triage.engine.screening import ComplaintScreen

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "tsur/triage/models/default/screening"
LABELS = REPO / "tsur/triage/models/default/screening_labels.csv"


# --- screening -----------------------------------------------------------------------------------


def weighted_pr(y: np.ndarray, p: np.ndarray, w: np.ndarray, t: float) -> tuple[float, float, float, float]:
    pred = p >= t
    tp = float(w[pred & (y == 1)].sum())
    flagged = float(w[pred].sum())
    prec = tp / flagged if flagged else float("nan")
    rec = tp / float(w[y == 1].sum())
    f1 = 2 * prec * rec / (prec + rec) if flagged and prec + rec else 0.0
    return prec, rec, f1, flagged


def weighted_ap(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    order = np.argsort(-p, kind="stable")
    y, w = y[order], w[order]
    tp = np.cumsum(w * y)
    precision = tp / np.cumsum(w)
    return float((precision * w * y).sum() / (w * y).sum())


def bootstrap_ci(y: np.ndarray, p: np.ndarray, w: np.ndarray, strata: list[str], t: float, n: int = 2000) -> dict[str, tuple[float, float]]:
    """95 % percentile intervals of weighted precision/recall/AP, resampling within each stratum."""
    rng = np.random.default_rng(7)
    groups = [np.flatnonzero(np.array(strata) == s) for s in sorted(set(strata))]
    out: dict[str, list[float]] = {"precision": [], "recall": [], "ap": []}
    for _ in range(n):
        idx = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        yb, pb, wb = y[idx], p[idx], w[idx]
        if not yb.any():
            continue
        prec, rec, _, _ = weighted_pr(yb, pb, wb, t)
        if not math.isnan(prec):
            out["precision"].append(prec)
        out["recall"].append(rec)
        out["ap"].append(weighted_ap(yb, pb, wb))
    return {k: (float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))) for k, v in out.items()}


def screening(data: Path) -> None:
    model = ComplaintScreen.load(MODEL)
    thr = model.threshold
    vk = sd.read_vk(data)
    text = {p.key: p.text for p in vk}
    labels = sd.read_labels(LABELS)
    strata: dict[str, list[str]] = {}

    print("## Complaint screening\n")
    size = sum(f.stat().st_size for f in MODEL.iterdir())
    print(f"Model: `{MODEL.relative_to(REPO)}` ({size / 1e6:.2f} MB), threshold {thr}.\n")

    def split(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rows = [r for r in labels if r["split"] == name]
        strata[name] = [r["stratum"] for r in rows]
        y = np.array([int(r["label"]) for r in rows])
        w = np.array([float(r["weight"]) for r in rows])
        p = model.predict_proba([text[(r["source"], int(r["row"]))] for r in rows])
        return y, p, w

    yt, pt, wt = split("test")
    y2, p2, w2 = split("tune")
    # The whole test pool: round-2 posts are known exactly (weight 1); the rest is the test population.
    yc, pc, wc = np.concatenate([y2, yt]), np.concatenate([p2, pt]), np.concatenate([np.ones_like(w2), wt])
    print("Hand-labelled VK posts; figures are stratum-weighted estimates for the population each set stands for:\n")
    print("| labels | population | posts | complaints | est. prevalence | weighted AP | precision @thr | recall @thr | F1 @thr |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, population, (y, p, w) in (
        ("test (rounds 3+4, never used for training or tuning)", f"{wt.sum():.0f} posts", (yt, pt, wt)),
        ("tune (round 2, chose the threshold)", f"{w2.sum():.0f} posts", (y2, p2, w2)),
        ("tune + test", f"{wc.sum():.0f} posts (whole test pool)", (yc, pc, wc)),
    ):
        prec, rec, f1, _ = weighted_pr(y, p, w, thr)
        print(
            f"| {name} | {population} | {len(y)} | {int(y.sum())} | {float((w * y).sum() / w.sum()):.3f} | {weighted_ap(y, p, w):.2f} "
            f"| {prec:.2f} | {rec:.2f} | {f1:.2f} |"
        )
    ci = bootstrap_ci(yt, pt, wt, strata["test"], thr)
    print(
        f"\nTest, 95 % stratified-bootstrap intervals: precision {ci['precision'][0]:.2f}–{ci['precision'][1]:.2f}, "
        f"recall {ci['recall'][0]:.2f}–{ci['recall'][1]:.2f}, weighted AP {ci['ap'][0]:.2f}–{ci['ap'][1]:.2f}."
    )
    for name, (y, p, w) in (("test", (yt, pt, wt)), ("tune + test", (yc, pc, wc))):
        print(f"\nOperating points ({name}, {w.sum():.0f} posts):\n")
        print("| threshold | precision | recall | F1 | posts flagged per 1,000 |")
        print("|---|---|---|---|---|")
        for t in (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5):
            prec, rec, f1, flagged = weighted_pr(y, p, w, t)
            print(f"| {t:.2f} | {prec:.2f} | {rec:.2f} | {f1:.2f} | {1000 * flagged / w.sum():.0f} |")

    kursk = [t for t in dict.fromkeys(sd.read_kursk_texts(data)) if sd.portal_is_heldout(t)]
    spb_all = list(dict.fromkeys(r["text"] for r in sd.iter_spb(data)))
    spb = [t for t in spb_all if sd.portal_is_heldout(t)]
    spb3 = [t for t in spb if len(t.split()) >= 3]
    print("\nRecall on held-out portal complaints (15 % of texts by hash, never trained on):\n")
    print("| set | texts | recall @thr |")
    print("|---|---|---|")
    for name, texts in (("Kursk letters", kursk), ("SPb messages, all", spb), ("SPb messages, ≥ 3 words", spb3)):
        print(f"| {name} | {len(texts)} | {float(np.mean(model.predict_proba(texts) >= thr)):.3f} |")

    posts = [p.text for p in vk]
    cold_wall, cold_cpu, warm_wall, warm_cpu = [], [], [], []
    for _ in range(5):
        fresh = ComplaintScreen.load(MODEL)
        t0, c0 = time.perf_counter(), time.process_time()
        fresh.predict(posts)
        cold_wall.append(len(posts) / (time.perf_counter() - t0))
        cold_cpu.append(len(posts) / (time.process_time() - c0))
        t0, c0 = time.perf_counter(), time.process_time()
        fresh.predict(posts)
        warm_wall.append(len(posts) / (time.perf_counter() - t0))
        warm_cpu.append(len(posts) / (time.process_time() - c0))
    t0 = time.perf_counter()
    for _ in range(5):
        ComplaintScreen.load(MODEL)
    load_s = (time.perf_counter() - t0) / 5
    print(f"\nSpeed over the {len(posts)} VK posts, median of 5 runs (posts/s): first pass with an empty word cache "
          f"{statistics.median(cold_wall):.0f} wall / {statistics.median(cold_cpu):.0f} CPU; second pass "
          f"{statistics.median(warm_wall):.0f} wall / {statistics.median(warm_cpu):.0f} CPU. Load {load_s:.2f} s.\n")


# --- duplicates ----------------------------------------------------------------------------------

_WORD = re.compile(r"[0-9a-zа-я]+")
WINDOW = timedelta(days=14)


def _stems(text: str, stemmer) -> frozenset:
    return frozenset(stemmer.stemWords(_WORD.findall(text.lower().replace("ё", "е"))))


def spb_stream(data: Path) -> list[dict]:
    rows = []
    for r in sd.iter_spb(data):
        rows.append(
            {
                "id": r["id"],
                "t": datetime.fromisoformat(r["created_dt"]),
                "text": r["text"],
                "address": r["address"],
                "na": normalise_address(r["address"]),
                "lat": float(r["lat"]),
                "lon": float(r["lon"]),
                "reason": r["reason"],
                "category": r["category"],
            }
        )
    rows.sort(key=lambda r: (r["t"], r["id"]))
    return rows


def proxies(rows: list[dict], radius_m: float) -> dict[str, dict[str, set[str]]]:
    """For every message, its earlier partners (within the window) under each proxy definition:

    * ``loose``: same ``reason`` and (same non-empty normalised address or points within ``radius_m``);
    * ``strict``: same ``reason``, same non-empty normalised address, and stem-set Jaccard ≥ 0.5;
    * ``category``: like ``loose`` but the same ``category`` is enough.
    """
    import Stemmer

    stemmer = Stemmer.Stemmer("russian")
    stems = {r["id"]: _stems(r["text"], stemmer) for r in rows}
    cell_m = radius_m
    recent: deque = deque()
    by_address: dict[tuple[str, str], list] = defaultdict(list)
    by_cell: dict[tuple[str, int, int], list] = defaultdict(list)

    def cell_of(r: dict) -> tuple[int, int]:
        x = r["lon"] * 111_320.0 * math.cos(math.radians(r["lat"]))
        return math.floor(x / cell_m), math.floor(r["lat"] * 111_320.0 / cell_m)

    for r in rows:
        r["_cell"] = cell_of(r)
    loose: dict[str, set[str]] = {}
    strict: dict[str, set[str]] = {}
    category: dict[str, set[str]] = {}
    horizon_alive: dict[str, bool] = {}
    for r in rows:
        while recent and recent[0]["t"] < r["t"] - WINDOW:
            horizon_alive[recent.popleft()["id"]] = False
        near: dict[str, dict] = {}
        if r["na"]:
            for e in by_address[(r["category"], r["na"])]:
                if horizon_alive.get(e["id"]):
                    near[e["id"]] = e
        cx, cy = r["_cell"]
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for e in by_cell[(r["category"], cx + dx, cy + dy)]:
                    if horizon_alive.get(e["id"]) and _distance_m(r["lat"], r["lon"], e["lat"], e["lon"]) <= radius_m:
                        near[e["id"]] = e
        lo, st, ca = set(), set(), set()
        for e in near.values():
            ca.add(e["id"])
            if e["reason"] == r["reason"]:
                lo.add(e["id"])
                if r["na"] and e["na"] == r["na"] and jaccard(stems[e["id"]], stems[r["id"]]) >= 0.5:
                    st.add(e["id"])
        loose[r["id"]], strict[r["id"]], category[r["id"]] = lo, st, ca
        recent.append(r)
        horizon_alive[r["id"]] = True
        if r["na"]:
            by_address[(r["category"], r["na"])].append(r)
        by_cell[(r["category"], cx, cy)].append(r)
    return {"loose": loose, "strict": strict, "category": category}


def run_detector(rows: list[dict], *, threshold: float, radius_m: float, use_block: bool) -> tuple[dict, float, int]:
    det = DuplicateDetector(WINDOW, threshold=threshold, radius_m=radius_m)
    matched = {}
    peak = 0
    t0 = time.perf_counter()
    for r in rows:
        det.check_and_add(
            r["id"], r["text"], address=r["address"] or None, lat=r["lat"], lon=r["lon"], created_at=r["t"],
            block=r["category"] if use_block else None,
        )
        matched[r["id"]] = det.last_match
        peak = max(peak, len(det))
    return matched, len(rows) / (time.perf_counter() - t0), peak


def score(matched: dict, truth: dict[str, set[str]]) -> tuple[float, float, int]:
    flagged = sum(1 for m in matched.values() if m is not None)
    tp = sum(1 for k, m in matched.items() if m is not None and m in truth[k])
    positives = sum(1 for v in truth.values() if v)
    return (tp / flagged if flagged else math.nan), tp / positives, flagged


def duplicates(data: Path) -> None:
    rows = spb_stream(data)
    print("## Near-duplicates (St Petersburg, messages 2020-10-18 .. 2021-03-31, in creation order)\n")
    truths = {radius: proxies(rows, radius) for radius in (100.0, 150.0)}
    print("| proxy | place radius | messages with an earlier partner |")
    print("|---|---|---|")
    for radius, truth in truths.items():
        for name in ("loose", "strict", "category"):
            print(f"| {name} | {radius:.0f} m | {sum(1 for v in truth[name].values() if v)} of {len(rows)} |")

    print("\nThreshold sweep (block not used; precision = matched earlier message is a proxy partner; recall = share of "
          "messages with a partner that got matched to one):\n")
    print("| detector radius | threshold | flagged | loose P | loose R | strict P | strict R | category P | msgs/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for radius in (100.0, 150.0):
        truth = truths[radius]
        for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
            matched, speed, _ = run_detector(rows, threshold=threshold, radius_m=radius, use_block=False)
            lp, lr, flagged = score(matched, truth["loose"])
            sp_, sr, _ = score(matched, truth["strict"])
            cp, _, _ = score(matched, truth["category"])
            print(f"| {radius:.0f} m | {threshold:.1f} | {flagged} | {lp:.3f} | {lr:.3f} | {sp_:.3f} | {sr:.3f} | {cp:.3f} | {speed:.0f} |")

    default = DuplicateDetector()
    truth = truths[default.radius_m] if default.radius_m in truths else proxies(rows, default.radius_m)
    print(f"\nDefault detector (radius {default.radius_m:.0f} m, threshold {default.threshold}) with the portal category "
          "as the block (what a correct classifier would pass):\n")
    matched, _, _ = run_detector(rows, threshold=default.threshold, radius_m=default.radius_m, use_block=True)
    lp, lr, flagged = score(matched, truth["loose"])
    sp_, sr, _ = score(matched, truth["strict"])
    print(f"flagged {flagged}; loose P {lp:.3f} R {lr:.3f}; strict P {sp_:.3f} R {sr:.3f}\n")

    speeds, peaks = [], []
    for _ in range(3):
        _, speed, peak = run_detector(rows, threshold=default.threshold, radius_m=default.radius_m, use_block=False)
        speeds.append(speed)
        peaks.append(peak)
    print(f"Speed of the default detector over {len(rows)} messages: median {statistics.median(speeds):.0f} msgs/s (3 runs); "
          f"at most {max(peaks)} messages kept at once (14-day window).\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared/data"))
    parser.add_argument("--only", choices=("screening", "duplicates"))
    args = parser.parse_args()
    data = Path(args.data)
    needed = [data / sd.VK_FILE, data / sd.SPB_FILE, data / sd.KURSK_FILE]
    missing = [str(p) for p in needed if not p.is_file()]
    if missing:
        print(f"skipped: shared data not found ({', '.join(missing)}); nothing to evaluate")
        return 0
    if args.only in (None, "screening"):
        screening(data)
    if args.only in (None, "duplicates"):
        duplicates(data)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
