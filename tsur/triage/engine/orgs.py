"""Organisation suggestion learned from history: (text, category, territory) → organisation.

A `TextModel` whose context columns are the category, the territory and their pair, so the linear
layer learns both "this district's housing agency takes yards" and the words that move a message
to another organisation (e.g. the road directorate for traffic lights). Pure Python (no Django).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tsur.triage.engine.evaluate import dedupe_by_text
from tsur.triage.engine.features import FeatureParams
from tsur.triage.engine.model import ModelError, TextModel
from tsur.triage.engine.train import TrainConfig, train_text_model

CONTEXT = ["category", "territory", "category_territory"]


def _context(category: str | None, territory: str | None) -> dict[str, str]:
    cat, ter = category or "", territory or ""
    return {"category": cat, "territory": ter, "category_territory": f"{cat}|{ter}" if cat and ter else ""}


def default_config() -> TrainConfig:
    return TrainConfig(
        features=FeatureParams(context_columns=list(CONTEXT), context_weight=1.0),
        C=0.3,
        balance=0.0,
        calibration_folds=3,
    )


class OrgSuggester:
    """`suggest(text, category, territory, k)` → up to k (organisation, probability) pairs."""

    def __init__(self, model: TextModel) -> None:
        if model.info.get("kind") != "orgs":
            raise ModelError(f"{model.info.get('directory', 'model')}: not an organisation-suggestion model")
        self.model = model

    @classmethod
    def train(
        cls,
        texts: Sequence[str],
        categories: Sequence[str | None],
        territories: Sequence[str | None],
        organisations: Sequence[str],
        *,
        config: TrainConfig | None = None,
        info: Mapping | None = None,
    ) -> OrgSuggester:
        contexts = [_context(c, t) for c, t in zip(categories, territories, strict=True)]
        model = train_text_model(
            texts, organisations, contexts=contexts, config=config or default_config(), head="organisation", info={**(info or {}), "kind": "orgs"}
        )
        return cls(model)

    @classmethod
    def load(cls, directory: str | os.PathLike) -> OrgSuggester:
        return cls(TextModel.load(directory))

    def save(self, directory: str | os.PathLike) -> Path:
        return self.model.save(directory)

    def suggest_many(
        self, texts: Sequence[str], categories: Sequence[str | None], territories: Sequence[str | None], k: int = 3
    ) -> list[list[tuple[str, float]]]:
        contexts = [_context(c, t) for c, t in zip(categories, territories, strict=True)]
        proba = self.model.predict_proba(list(texts), contexts)
        labels = self.model.labels
        top = np.argsort(-proba, axis=1)[:, :k]
        return [[(labels[j], float(proba[i, j])) for j in row] for i, row in enumerate(top)]

    def suggest(self, text: str, category: str | None, territory: str | None, k: int = 3) -> list[tuple[str, float]]:
        return self.suggest_many([text], [category], [territory], k)[0]


def evaluate_orgs_time_split(
    rows: Sequence[Mapping],
    *,
    text_column: str = "text",
    category_column: str = "category",
    territory_column: str = "district",
    org_column: str = "responsible_org",
    time_column: str = "created_dt",
    config: TrainConfig | None = None,
) -> dict:
    """Top-1 / top-3 accuracy of suggestions on the newest month, trained on the earlier ones
    (rows deduplicated by normalised text first). Also reports the majority-organisation-per-
    (category, territory) baseline, the rule a hand-made routing table would encode."""
    from collections import Counter, defaultdict

    rows = [r for r in rows if r.get(org_column)]
    deduped = dedupe_by_text(rows, text_column, time_column)
    month = max(str(r[time_column])[:7] for r in deduped)
    train = [r for r in deduped if str(r[time_column])[:7] < month]
    test = [r for r in deduped if str(r[time_column])[:7] == month]
    started = time.perf_counter()
    suggester = OrgSuggester.train(
        [r[text_column] for r in train],
        [r[category_column] for r in train],
        [r[territory_column] for r in train],
        [r[org_column] for r in train],
        config=config,
    )
    fit_seconds = time.perf_counter() - started
    out = suggester.suggest_many([r[text_column] for r in test], [r[category_column] for r in test], [r[territory_column] for r in test], k=3)
    truth = [r[org_column] for r in test]
    top1 = float(np.mean([s[0][0] == t for s, t in zip(out, truth, strict=True)]))
    top3 = float(np.mean([t in {o for o, _ in s} for s, t in zip(out, truth, strict=True)]))
    pair_counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    cat_counts: dict[str, Counter] = defaultdict(Counter)
    for r in train:
        pair_counts[(r[category_column], r[territory_column])][r[org_column]] += 1
        cat_counts[r[category_column]][r[org_column]] += 1
    overall = Counter(r[org_column] for r in train)

    def table(r: Mapping) -> list[str]:
        counts = pair_counts.get((r[category_column], r[territory_column])) or cat_counts.get(r[category_column]) or overall
        return [o for o, _ in counts.most_common(3)]

    base = [table(r) for r in test]
    return {
        "protocol": f"time split: train on months < {month}, test on {month}; rows deduplicated by normalised text first; "
        f"inputs: {text_column} + {category_column} (true) + {territory_column} → {org_column}",
        "train_rows": len(train),
        "test_rows": len(test),
        "organisations": len(set(truth) | {r[org_column] for r in train}),
        "top1": round(top1, 4),
        "top3": round(top3, 4),
        "baseline_majority_per_category_territory": {
            "top1": round(float(np.mean([b[0] == t for b, t in zip(base, truth, strict=True)])), 4),
            "top3": round(float(np.mean([t in b for b, t in zip(base, truth, strict=True)])), 4),
        },
        "fit_seconds": round(fit_seconds, 1),
    }
