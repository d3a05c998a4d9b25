"""Training of `TextModel`s: reading tables, fitting the linear layer, calibrating, pruning.

Pure Python (no Django). `train_text_model` is what `tsur triage train` runs; the default sector
block and category model (its recipe and training data) is in `tsur.triage.engine.recipe`, which
fits it with `fit_head` from here.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from tsur.triage.engine import text as textmod
from tsur.triage.engine.features import FeatureParams, FeatureSpace
from tsur.triage.engine.model import Head, TextModel, softmax

csv.field_size_limit(10_000_000)


# -- reading data ----------------------------------------------------------------------------
def _open_text(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def read_table(path: str | os.PathLike) -> list[dict]:
    """Rows of a CSV, CSV.gz, JSONL or JSONL.gz file as dicts (header row for CSV)."""
    path = Path(path)
    stem_suffix = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    with _open_text(path) as fh:
        if stem_suffix in {".jsonl", ".ndjson", ".json"}:
            rows = []
            for n, line in enumerate(fh, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
                if not isinstance(obj, dict):
                    raise ValueError(f"{path}:{n}: a JSON object per line expected")
                rows.append(obj)
            return rows
        return list(csv.DictReader(fh))


def iter_column(rows: Sequence[Mapping], column: str) -> Iterator[str]:
    for row in rows:
        value = row.get(column)
        yield "" if value is None else str(value)


# -- configuration ---------------------------------------------------------------------------
@dataclass
class TrainConfig:
    features: FeatureParams = field(default_factory=FeatureParams)
    classifier: str = "svm"  # "svm" (LinearSVC, one-vs-rest) or "logreg" (multinomial)
    C: float = 0.5
    balance: float = 0.5  # 0: no class weighting, 1: fully "balanced" weights
    keep_weights: float = 1.0  # share of the largest |weights| kept after training (pruning)
    calibration_folds: int = 3
    min_class_count: int = 1  # labels rarer than this in the training data are dropped

    def to_json(self) -> dict:
        data = asdict(self)
        data["features"] = self.features.to_json()
        return data


def class_weights(y: np.ndarray, n_classes: int, balance: float) -> np.ndarray:
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    counts[counts == 0] = 1.0
    return (len(y) / (n_classes * counts)) ** balance


def fit_linear(
    x: sp.csr_matrix,
    y: np.ndarray,
    n_classes: int,
    config: TrainConfig,
    sample_weight: np.ndarray | None = None,
    primary: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(W features×classes, bias) of a linear classifier on label indices `y`.

    Class weights follow the label distribution of the `primary` rows (boolean mask; default all),
    so auxiliary data mixed in for vocabulary do not distort the target domain's priors."""
    base = y if primary is None else y[primary]
    weights = class_weights(base, n_classes, config.balance)[y]
    if sample_weight is not None:
        weights = weights * sample_weight
    present = np.unique(y)
    if present.shape[0] < 2:  # e.g. a calibration fold that kept one label only
        b = np.full(n_classes, -1e3, dtype=np.float32)
        b[present] = 0.0
        return np.zeros((x.shape[1], n_classes), dtype=np.float32), b
    if config.classifier == "logreg":
        from sklearn.linear_model import LogisticRegression

        clf = LogisticRegression(C=config.C, max_iter=300, tol=1e-3, random_state=0)
    else:
        from sklearn.svm import LinearSVC

        clf = LinearSVC(C=config.C, loss="squared_hinge", tol=1e-4, max_iter=3000, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(x, y, sample_weight=weights)
    coef = np.asarray(clf.coef_, dtype=np.float32)
    intercept = np.asarray(clf.intercept_, dtype=np.float32)
    if coef.shape[0] == 1:  # binary: one hyperplane → two symmetric columns
        coef = np.vstack([-coef / 2, coef / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2], dtype=np.float32)
    w = np.zeros((x.shape[1], n_classes), dtype=np.float32)
    b = np.full(n_classes, -1e3, dtype=np.float32)  # labels absent from this fit never win
    w[:, present] = coef.T
    b[present] = intercept
    return w, b


def prune(w: np.ndarray, keep: float) -> sp.csr_matrix:
    """Sparse copy of `w` keeping the `keep` share of its largest non-zero magnitudes."""
    if keep >= 1.0:
        return sp.csr_matrix(w)
    mags = np.abs(w[w != 0])
    if mags.size == 0:
        return sp.csr_matrix(w)
    threshold = np.quantile(mags, 1.0 - keep)
    return sp.csr_matrix(np.where(np.abs(w) >= threshold, w, 0.0).astype(np.float32))


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Softmax temperature minimising the negative log-likelihood of out-of-fold scores."""
    rows = np.arange(len(y))

    def nll(t: float) -> float:
        p = softmax(scores.astype(np.float64), t)
        return float(-np.log(np.clip(p[rows, y], 1e-12, None)).mean())

    lo, hi = np.log(0.01), np.log(10.0)
    for _ in range(40):  # golden-section search on log T
        a = hi - (hi - lo) / 1.618
        b = lo + (hi - lo) / 1.618
        if nll(float(np.exp(a))) < nll(float(np.exp(b))):
            hi = b
        else:
            lo = a
    return float(np.exp((lo + hi) / 2))


def folds(y: np.ndarray, groups: Sequence[str] | None, k: int, seed: int = 0) -> list[np.ndarray]:
    """Test-row indices of each fold: stratified by label, rows sharing a group key kept in one fold
    (fewer folds when there are fewer groups; none when fewer than two are possible)."""
    from sklearn.model_selection import StratifiedGroupKFold

    n = len(y)
    group_ids = np.unique(np.asarray(groups if groups is not None else [str(i) for i in range(n)]), return_inverse=True)[1]
    counts = np.bincount(y)
    k_eff = min(k, int(counts[counts > 0].max()), int(group_ids.max()) + 1 if n else 0)
    if k_eff < 2:
        return []
    splitter = StratifiedGroupKFold(n_splits=k_eff, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [test for _train, test in splitter.split(np.zeros(n), y, group_ids)]


def fit_head(
    x: sp.csr_matrix,
    labels: Sequence[str | None],
    config: TrainConfig,
    *,
    sample_weight: Sequence[float] | None = None,
    primary: Sequence[bool] | None = None,
    groups: Sequence[str] | None = None,
    label_names: Mapping[str, str] | None = None,
    label_blocks: Mapping[str, str] | None = None,
    info: Mapping | None = None,
) -> Head:
    """A calibrated linear head on feature rows `x`; rows whose label is None/"" are skipped.

    `primary` marks the target-domain rows (default: all). Auxiliary rows (primary False) get an
    extra "auxiliary source" indicator column while fitting, which absorbs their different label
    prior; the column is dropped afterwards (it is 0 for every text the model will ever see).
    Class weights and the calibration temperature come from primary rows only; the temperature is
    fitted on out-of-fold scores of primary rows (folds grouped by `groups`)."""
    n = x.shape[0]
    counts = Counter(lab for lab in labels if lab)
    rows = np.array([i for i, lab in enumerate(labels) if lab and counts[lab] >= config.min_class_count], dtype=np.int64)
    label_list = sorted({labels[i] for i in rows})
    if len(label_list) < 2:
        raise ValueError("training needs at least two distinct labels")
    index = {lab: i for i, lab in enumerate(label_list)}
    y = np.array([index[labels[i]] for i in rows], dtype=np.int64)
    prim = (np.ones(n, dtype=bool) if primary is None else np.asarray(primary, dtype=bool))[rows]
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[rows]
    xs = x[rows]
    has_aux = not prim.all()
    if has_aux:
        xs = sp.hstack([xs, sp.csr_matrix((~prim).astype(np.float32)[:, None])], format="csr")

    def fit(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        w, b = fit_linear(xs[mask], y[mask], len(label_list), config, None if sw is None else sw[mask], prim[mask])
        return (w[:-1] if has_aux else w), b

    temperature = 1.0
    prim_rows = np.flatnonzero(prim)
    if config.calibration_folds >= 2 and prim_rows.shape[0] >= 20:
        grp = None if groups is None else [groups[rows[i]] for i in prim_rows]
        oof = np.zeros((prim_rows.shape[0], len(label_list)), dtype=np.float32)
        x_prim = x[rows[prim_rows]]
        for test in folds(y[prim_rows], grp, config.calibration_folds):
            mask = np.ones(len(y), dtype=bool)
            mask[prim_rows[test]] = False
            w, b = fit(mask)
            oof[test] = (x_prim[test] @ prune(w, config.keep_weights)).toarray() + b
        temperature = fit_temperature(oof, y[prim_rows])

    w, b = fit(np.ones(len(y), dtype=bool))
    head_info = dict(info or {})
    head_info["train_config"] = config.to_json()
    head_info["train_rows"] = int(len(y))
    head_info["train_rows_primary"] = int(prim.sum())
    head_info["label_counts"] = {lab: int(c) for lab, c in sorted(Counter(labels[i] for i in rows[prim]).items())}
    weights = prune(w, config.keep_weights)
    return Head(label_list, weights, b, temperature=temperature, label_names=label_names, label_blocks=label_blocks, info=head_info)


def train_text_model(
    texts: Sequence[str],
    labels: Sequence[str | None],
    *,
    contexts: Sequence[Mapping[str, str] | None] | None = None,
    sample_weight: Sequence[float] | None = None,
    primary: Sequence[bool] | None = None,
    config: TrainConfig | None = None,
    groups: Sequence[str] | None = None,
    head: str = "category",
    extra_heads: Mapping[str, Sequence[str | None]] | None = None,
    label_names: Mapping[str, str] | None = None,
    label_blocks: Mapping[str, str] | None = None,
    info: Mapping | None = None,
) -> TextModel:
    """Fit the features on `texts` (raw or cleaned) and a calibrated head per label column.

    `labels` feed the primary head `head`; `extra_heads` maps further head names to their label
    lists (same rows; None where a row has no label for that head)."""
    config = config or TrainConfig()
    texts = [textmod.clean(t) for t in texts]
    if groups is None:
        groups = [textmod.normalise(t) for t in texts]
    features = FeatureSpace(FeatureParams.from_json(config.features.to_json()))
    used = [i for i, lab in enumerate(labels) if lab] if not extra_heads else list(range(len(texts)))
    features.fit([texts[i] for i in used], None if contexts is None else [contexts[i] for i in used])
    x = features.transform(texts, contexts, canonical=True)
    common = {"sample_weight": sample_weight, "primary": primary, "groups": groups}
    heads = {head: fit_head(x, labels, config, label_names=label_names, label_blocks=label_blocks, **common)}
    for name, head_labels in (extra_heads or {}).items():
        heads[name] = fit_head(x, head_labels, config, **common)
    info = dict(info or {})
    info.setdefault("trained_at", dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return TextModel(features, heads, primary=head, info=info)
