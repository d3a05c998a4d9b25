#!/usr/bin/env python3
"""Train the shipped complaint-screening model (tsur/triage/models/default/screening/).

Usage (from the repository root):

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/train_screening.py [--data ../shared/data] [--out DIR]

Inputs (read only): Kursk ``train.csv``, SPb ``appeals.csv.gz`` (texts and official answers),
VK ``community_posts.csv.gz`` and the hand labels in
``tsur/triage/models/default/screening_labels.csv`` (ids and labels only). Trained on:

* complaints — Kursk letters (plus their first 5–25 words, so a short complaint and a long letter
  both look like complaints), 6,000 SPb portal messages of at least 3 words, VK posts
  pseudo-labelled as complaints (below) and the hand-labelled ``split=train`` complaints (weight 3);
* non-complaints — VK posts the cue rules call noise (plus one random 3–30-word crop of each, so
  short posts are not all "complaints"), 5,000 SPb official answers (same topics and portal as the
  complaints, so neither topic nor source style alone wins) and the ``split=train`` non-complaints.

Never trained on: the ``tune`` and ``test`` labels and the whole VK test pool (15 % of posts by id
hash) they were drawn from, and 15 % of portal texts by normalised-text hash (held out to measure
recall on portal complaints). VK posts the rules call "unsure" are left out of the negatives.

Two stages: a first model scores the unlabelled VK training posts; "unsure" posts it scores
≥ 0.5 become pseudo-complaints and "noise" posts it scores ≥ 0.5 are dropped from the negatives.
The decision threshold maximises window-averaged F1 on the stratum-weighted ``tune`` labels.
Seeds are fixed: a rerun reproduces the shipped weights byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from tsur.triage.engine import screening_data as sd
from tsur.triage.engine.screening import ComplaintScreen, FeatureConfig
from tsur.triage.engine.screening_rules import judge

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tsur/triage/models/default/screening"
LABELS = REPO / "tsur/triage/models/default/screening_labels.csv"

SEED = 20211
N_SPB_POSITIVES = 6000
N_ANSWER_NEGATIVES = 5000
PSEUDO_THRESHOLD = 0.5
MIN_SPB_WORDS = 3
LABEL_WEIGHT = 3.0
C = 1.0
CONFIG = FeatureConfig(n_bits=20, max_chars=500, char_min=3, char_max=4, stem_bigrams=True, lexicon=True)


def dedup(texts: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for text in texts:
        key = sd.text_key(text)
        if key and key not in seen:
            seen.add(key)
            out.append(text)
    return out


def crop(text: str, rng: random.Random) -> str | None:
    words = text.split()
    if len(words) < 8:
        return None
    length = rng.randint(3, min(30, len(words)))
    start = rng.randint(0, len(words) - length)
    return " ".join(words[start : start + length])


def best_f1_threshold(y: np.ndarray, p: np.ndarray, w: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """(threshold, precision, recall, f1) at the threshold whose F1, averaged over a ±0.05 window,
    is highest (0.01 grid); ``w`` are the labels' stratum weights. With a few dozen labelled
    complaints the raw F1 curve is too jumpy to take its peak."""
    w = np.ones(len(y)) if w is None else w
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2)
    stats = []
    for t in grid:
        pred = p >= t
        tp = float(w[pred & (y == 1)].sum())
        flagged = float(w[pred].sum())
        prec = tp / flagged if flagged else 0.0
        rec = tp / float(w[y == 1].sum())
        stats.append((prec, rec, 2 * prec * rec / (prec + rec) if prec + rec else 0.0))
    f1 = np.array([s[2] for s in stats])
    smooth = np.convolve(f1, np.ones(11) / 11, mode="same")
    i = int(np.argmax(smooth))
    return float(grid[i]), stats[i][0], stats[i][1], stats[i][2]


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def train_model(
    data: Path, *, min_spb_words: int = MIN_SPB_WORDS, label_weight: float = LABEL_WEIGHT, gold_splits: tuple[str, ...] = ("train",)
) -> tuple[ComplaintScreen, dict]:
    """Train the screen from the shared data folder; returns the model (threshold not yet chosen)
    and the VK texts by id (for threshold selection)."""
    rng = random.Random(SEED)

    labels = sd.read_labels(LABELS)
    labelled = {(r["source"], int(r["row"])) for r in labels}
    train_labels = [(r["source"], int(r["row"]), int(r["label"])) for r in labels if r["split"] in gold_splits]

    kursk = [t for t in dedup(sd.read_kursk_texts(data)) if not sd.portal_is_heldout(t)]
    spb_rows = list(sd.iter_spb(data))
    spb = [t for t in dedup([r["text"] for r in spb_rows]) if not sd.portal_is_heldout(t) and len(t.split()) >= min_spb_words]
    answers = dedup([r["answer_text"] for r in spb_rows if r["answer_text"] and not sd.portal_is_heldout(r["text"])])
    vk = sd.read_vk(data)
    vk_text = {p.key: p.text for p in vk}
    train_vk = [p for p in vk if p.key not in labelled and not sd.vk_in_test_pool(*p.key)]
    verdict = {p.key: judge(p.text).label for p in train_vk}

    pos = list(kursk)
    pos += [" ".join(t.split()[: rng.randint(5, 25)]) for t in kursk if len(t.split()) > 30]
    pos += rng.sample(spb, N_SPB_POSITIVES)
    rule_pos = [p.text for p in train_vk if verdict[p.key] == "complaint"]
    noise = [p for p in train_vk if verdict[p.key] == "noise"]
    unsure = [p for p in train_vk if verdict[p.key] == "unsure"]
    answer_neg = rng.sample(answers, N_ANSWER_NEGATIVES)
    gold_pos = [vk_text[(s, r)] for s, r, lab in train_labels if lab == 1] if label_weight > 0 else []
    gold_neg = [vk_text[(s, r)] for s, r, lab in train_labels if lab == 0] if label_weight > 0 else []

    def negatives(posts: list[sd.Post]) -> list[str]:
        texts = [p.text for p in posts]
        texts += [c for c in (crop(t, rng) for t in [p.text for p in posts]) if c]
        return texts + answer_neg

    stage1 = ComplaintScreen.train(pos + rule_pos, negatives(noise), config=CONFIG, c=C)
    p_unsure = stage1.predict_proba([p.text for p in unsure])
    p_noise = stage1.predict_proba([p.text for p in noise])
    pseudo = [p.text for p, s in zip(unsure, p_unsure, strict=True) if s >= PSEUDO_THRESHOLD]
    kept_noise = [p for p, s in zip(noise, p_noise, strict=True) if s < PSEUDO_THRESHOLD]
    final_pos = pos + rule_pos + pseudo + gold_pos
    final_neg = negatives(kept_noise) + gold_neg
    pos_w = [1.0] * (len(final_pos) - len(gold_pos)) + [label_weight] * len(gold_pos)
    neg_w = [1.0] * (len(final_neg) - len(gold_neg)) + [label_weight] * len(gold_neg)

    provenance = {
        "trained_at": dt.date.today().isoformat(),
        "code_commit": git_commit(),
        "data": {
            "kursk/train.csv": f"{len(kursk)} unique texts not held out (+ lead crops)",
            "spb/appeals.csv.gz": f"{N_SPB_POSITIVES} of {len(spb)} unique texts (not held out, >= {min_spb_words} words) as positives; "
            f"{N_ANSWER_NEGATIVES} official answers as negatives",
            "vk/community_posts.csv.gz": f"{len(train_vk)} unlabelled posts outside the test pool: "
            f"{len(noise)} rule-noise ({len(noise) - len(kept_noise)} dropped by stage 1), {len(unsure)} rule-unsure "
            f"({len(pseudo)} pseudo-positives), {len(rule_pos)} rule-complaint; "
            f"{len(gold_pos) + len(gold_neg)} hand-labelled posts (split=train, weight {label_weight})",
        },
        "n_positive": len(final_pos),
        "n_negative": len(final_neg),
        "c": C,
        "seed": SEED,
    }
    model = ComplaintScreen.train(
        final_pos, final_neg, positive_weights=pos_w, negative_weights=neg_w, config=CONFIG, c=C, provenance=provenance
    )
    return model, vk_text


def weighted_labels(split: str) -> list[tuple[str, int, int, float]]:
    return [(r["source"], int(r["row"]), int(r["label"]), float(r["weight"])) for r in sd.read_labels(LABELS) if r["split"] == split]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared/data"))
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    args = parser.parse_args()
    data = Path(args.data)
    if not (data / sd.VK_FILE).is_file():
        print(f"skipped: {data / sd.VK_FILE} not found (the shared data folder is needed to train)")
        return 0
    model, vk_text = train_model(data)
    tune = weighted_labels("tune")
    y = np.array([lab for _, _, lab, _ in tune])
    w = np.array([wt for _, _, _, wt in tune])
    p = model.predict_proba([vk_text[(s, r)] for s, r, _, _ in tune])
    threshold, prec, rec, f1 = best_f1_threshold(y, p, w)
    model.threshold = threshold
    model.provenance["threshold_choice"] = (
        f"max window-averaged F1 on the {len(tune)} tune labels ({int(y.sum())} complaints, stratum-weighted): "
        f"precision {prec:.2f}, recall {rec:.2f}, F1 {f1:.2f}"
    )
    out = model.save(args.out)
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"saved {out} ({size / 1e6:.2f} MB), threshold {threshold}, {model.provenance['threshold_choice']}")
    for key, value in model.provenance["data"].items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
