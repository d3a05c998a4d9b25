"""Honest evaluation of triage models: time split, grouped cross-validation, calibration.

Pure Python (no Django). Near-duplicates never straddle train and test: a time split first drops
every row whose normalised text already occurred earlier, and cross-validation keeps rows with the
same normalised text in one fold.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from tsur.triage.engine import text as textmod
from tsur.triage.engine.recipe import DefaultRecipe, LabelledSet, default_training_set, fit_default
from tsur.triage.engine.train import TrainConfig, folds, train_text_model


def calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: |accuracy − mean confidence| averaged over equal-width bins."""
    conf = np.asarray(confidence, dtype=np.float64)
    ok = np.asarray(correct, dtype=np.float64)
    if conf.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        sel = which == b
        if sel.any():
            total += sel.sum() / conf.size * abs(ok[sel].mean() - conf[sel].mean())
    return float(total)


def metrics(y_true: Sequence[str], y_pred: Sequence[str], confidence: Sequence[float] | None = None) -> dict:
    """Accuracy, macro-F1 (over the labels present in y_true), per-class precision/recall/F1,
    confusion matrix (rows: true, columns: predicted) and, with confidences, the ECE."""
    from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

    labels = sorted(set(y_true) | set(y_pred))
    true_labels = sorted(set(y_true))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    per_class = {
        lab: {"precision": round(float(p[i]), 4), "recall": round(float(r[i]), 4), "f1": round(float(f[i]), 4), "support": int(s[i])}
        for i, lab in enumerate(labels)
    }
    out = {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=true_labels, average="macro", zero_division=0)), 4),
        "per_class": per_class,
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
    }
    if confidence is not None:
        out["ece"] = round(calibration_error(confidence, [a == b for a, b in zip(y_true, y_pred, strict=True)]), 4)
        out["mean_confidence"] = round(float(np.mean(confidence)), 4) if len(confidence) else 0.0
    return out


def dedupe_by_text(rows: Sequence[Mapping], text_column: str, order_column: str | None = None) -> list[Mapping]:
    """Rows (in `order_column` order when given) keeping only the first of each normalised text."""
    ordered = sorted(rows, key=lambda r: str(r.get(order_column) or "")) if order_column else list(rows)
    seen: set[str] = set()
    out = []
    for row in ordered:
        key = textmod.normalise(str(row.get(text_column) or ""))
        if key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def _contexts(rows: Sequence[Mapping], columns: Sequence[str]) -> list[dict] | None:
    if not columns:
        return None
    return [{c: str(r.get(c) or "") for c in columns} for r in rows]


def evaluate_time_split(
    rows: Sequence[Mapping],
    text_column: str,
    label_column: str,
    *,
    time_column: str,
    context_columns: Sequence[str] = (),
    config: TrainConfig | None = None,
    test_month: str | None = None,
) -> dict:
    """Train on months before the test month (default: the newest month in `rows`), test on it."""
    config = config or TrainConfig()
    if context_columns:
        config.features.context_columns = list(context_columns)
    rows = [r for r in rows if str(r.get(label_column) or "")]
    deduped = dedupe_by_text(rows, text_column, time_column)
    months = sorted({str(r.get(time_column) or "")[:7] for r in deduped if r.get(time_column)})
    if len(months) < 2:
        raise ValueError(f"a time split needs at least two months in {time_column!r}")
    month = test_month or months[-1]
    train = [r for r in deduped if str(r.get(time_column) or "")[:7] < month]
    test = [r for r in deduped if str(r.get(time_column) or "")[:7] == month]
    started = time.perf_counter()
    model = train_text_model(
        [str(r[text_column]) for r in train],
        [str(r[label_column]) for r in train],
        contexts=_contexts(train, context_columns),
        config=config,
    )
    fit_seconds = time.perf_counter() - started
    pred = model.predict([str(r[text_column]) for r in test], _contexts(test, context_columns))
    report = metrics([str(r[label_column]) for r in test], [p for p, _ in pred], [c for _, c in pred])
    report.update(
        {
            "protocol": f"time split: train on months < {month}, test on {month}; rows deduplicated by normalised text first",
            "rows_total": len(rows),
            "rows_after_dedup": len(deduped),
            "train_rows": len(train),
            "test_rows": len(test),
            "test_month": month,
            "label": label_column,
            "context_columns": list(context_columns),
            "fit_seconds": round(fit_seconds, 1),
            "config": config.to_json(),
        }
    )
    return report


def evaluate_cv(
    rows: Sequence[Mapping],
    text_column: str,
    label_column: str,
    *,
    k: int = 5,
    context_columns: Sequence[str] = (),
    config: TrainConfig | None = None,
    seed: int = 0,
) -> dict:
    """Stratified k-fold cross-validation grouped by normalised text."""
    config = config or TrainConfig()
    if context_columns:
        config.features.context_columns = list(context_columns)
    rows = [r for r in rows if str(r.get(label_column) or "")]
    texts = [textmod.clean(str(r[text_column])) for r in rows]
    labels = [str(r[label_column]) for r in rows]
    groups = [textmod.normalise(t) for t in texts]
    label_list = sorted(set(labels))
    y = np.array([label_list.index(lab) for lab in labels])
    ctx = _contexts(rows, context_columns)
    pred: list[str] = [""] * len(rows)
    conf = [0.0] * len(rows)
    splits = folds(y, groups, k, seed)
    if not splits:
        raise ValueError("too few distinct texts for cross-validation")
    for test in splits:
        train = np.setdiff1d(np.arange(len(rows)), test)
        model = train_text_model(
            [texts[i] for i in train],
            [labels[i] for i in train],
            contexts=None if ctx is None else [ctx[i] for i in train],
            groups=[groups[i] for i in train],
            config=config,
        )
        out = model.predict([texts[i] for i in test], None if ctx is None else [ctx[i] for i in test])
        for i, (lab, c) in zip(test, out, strict=True):
            pred[i], conf[i] = lab, c
    report = metrics(labels, pred, conf)
    report.update(
        {"protocol": f"{k}-fold stratified cross-validation, grouped by normalised text", "label": label_column, "config": config.to_json()}
    )
    return report


def evaluate_default_cv(
    shared_data: str,
    taxonomy: Sequence[Mapping],
    recipe: DefaultRecipe | None = None,
    *,
    k: int = 5,
    seed: int = 0,
    data: LabelledSet | None = None,
) -> dict:
    """Kursk k-fold CV of the default recipe: every fold trains the full default model (auxiliary
    sources always in) without its Kursk test rows, and predicts them with the shipped logic."""
    recipe = recipe or DefaultRecipe()
    data = data or default_training_set(shared_data, taxonomy, recipe)
    kursk = np.array([i for i, s in enumerate(data.source) if s == "kursk"])
    blocks = [data.block[i] for i in kursk]
    block_list = sorted(set(blocks))
    y = np.array([block_list.index(b) for b in blocks])
    n = len(kursk)
    pred_block, conf_block, pred_cat, conf_cat = [""] * n, [0.0] * n, [""] * n, [0.0] * n
    started = time.perf_counter()
    for test in folds(y, [data.groups[i] for i in kursk], k, seed):
        test_rows = set(kursk[test].tolist())
        train_rows = [i for i in range(len(data.texts)) if i not in test_rows]
        model = fit_default(data.subset(train_rows), taxonomy, recipe)
        out = model.classify([data.texts[i] for i in kursk[test]], cleaned=True)
        for j, c in zip(test, out, strict=True):
            pred_block[j], conf_block[j] = c.block or "", c.block_confidence or 0.0
            pred_cat[j], conf_cat[j] = c.category, c.category_confidence
    cats = [data.category[i] or "" for i in kursk]
    return {
        "protocol": f"Kursk train, {k}-fold cross-validation (seed {seed}) stratified by block and grouped by normalised text; "
        f"auxiliary rows ({', '.join(s for s in data.sources if s != 'kursk/train.csv') or 'none'}) are in every training fold, never in a test fold",
        "recipe": recipe.to_json(),
        "sources": dict(data.sources),
        "seconds": round(time.perf_counter() - started, 1),
        "block": metrics(blocks, pred_block, conf_block),
        "category": metrics(cats, pred_cat, conf_cat),
    }
