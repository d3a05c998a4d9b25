"""The text model: deterministic features, training, calibrated prediction, a compact saved form
whose every file is checked (a corrupted or swapped file fails with an error naming it).

All data here are synthetic sentences written for the tests."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys

import numpy as np
import pytest

from tsur.triage.engine.features import FeatureParams, FeatureSpace
from tsur.triage.engine.model import ModelError, TextModel
from tsur.triage.engine.pipeline import DEFAULT_MODEL_DIR
from tsur.triage.engine.train import TrainConfig, train_text_model

_SUBJECTS = {
    "roads": ["яма на дороге", "разбит асфальт на проезжей части", "не работает светофор", "нет разметки на переходе", "выбоины на трассе"],
    "housing": ["нет горячей воды", "течёт крыша", "холодные батареи в квартире", "грязно в подъезде", "сломан лифт"],
    "waste": ["не вывозят мусор", "переполнены контейнеры", "свалка у гаражей", "мусорная площадка завалена", "мешки с отходами у дома"],
}
_PLACES = ["на улице Садовой", "у дома 5", "в нашем дворе", "возле школы", "на Молодёжной", "в посёлке", "около магазина"]
_TAILS = ["", "Примите меры.", "Уже неделю так.", "Сколько можно?", "Просим разобраться.", "Жители устали ждать."]


def synthetic_rows(n_per_class: int = 40, seed: int = 0) -> list[dict]:
    """Short resident-style messages for three classes, with months for time splits."""
    rng = random.Random(seed)
    rows = []
    for label, subjects in _SUBJECTS.items():
        for i in range(n_per_class):
            text = f"{rng.choice(subjects).capitalize()} {rng.choice(_PLACES)}. {rng.choice(_TAILS)}".strip()
            month = "2021-03" if i % 4 == 0 else f"2021-0{1 + i % 2}"
            created = f"{month}-1{i % 10}T10:00:00"
            rows.append({"id": f"{label}-{i}", "text": text, "label": label, "created_dt": created, "kind": "Двор" if i % 2 else "Дом"})
    rng.shuffle(rows)
    return rows


@pytest.fixture(scope="module")
def small_model():
    rows = synthetic_rows()
    return train_text_model([r["text"] for r in rows], [r["label"] for r in rows], config=TrainConfig(calibration_folds=3))


def test_it_hashes_character_ngrams_the_same_in_every_process():
    code = (
        "from tsur.triage.engine.features import FeatureParams, FeatureSpace;"
        "s = FeatureSpace(FeatureParams(min_df=1, char_weight=1.0)).fit(['яма на дороге', 'мусор во дворе']);"
        "print(','.join(map(str, s.char_keys.tolist())))"
    )
    runs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1  # our hash is arithmetic on code points, not Python's salted hash()
    params = FeatureParams(min_df=1, char_weight=1.0)
    space = FeatureSpace(params).fit(["яма на дороге", "мусор во дворе"])
    assert ",".join(map(str, space.char_keys.tolist())) == runs.pop().strip()
    assert space.char_keys.shape[0] > 20
    again = FeatureSpace(params).fit(["мусор во дворе", "яма на дороге"])
    assert np.allclose(space.transform(["яма во дворе"]).toarray(), again.transform(["яма во дворе"]).toarray())
    # each feature group is L2-normalised, then scaled by its weight
    expected = np.sqrt(params.word_weight**2 + params.bigram_weight**2 + params.char_weight**2)
    assert np.isclose(np.linalg.norm(space.transform(["яма на дороге"], canonical=True).toarray()), expected, atol=1e-4)


def test_the_fast_feature_path_gives_the_same_scores_as_the_canonical_one():
    space = FeatureSpace(FeatureParams(min_df=1, char_weight=0.5)).fit(["яма яма на дороге", "мусор во дворе во дворе"])
    texts = ["яма яма яма во дворе", "мусор"]
    assert np.allclose(space.transform(texts).toarray(), space.transform(texts, canonical=True).toarray(), atol=1e-6)


def test_it_ignores_what_it_never_saw():
    space = FeatureSpace(FeatureParams(min_df=1)).fit(["яма на дороге"])
    assert space.transform(["zzzz qqqq"]).nnz == 0
    assert space.transform([""]).shape == (1, space.n_features)


def test_it_learns_and_predicts_with_calibrated_confidence(small_model):
    out = small_model.predict(["Огромная яма на дороге у школы", "Третью неделю не вывозят мусор", "В квартире холодные батареи"])
    assert [label for label, _ in out] == ["roads", "waste", "housing"]
    assert all(0.0 <= conf <= 1.0 for _, conf in out)
    proba = small_model.predict_proba(["яма"])
    assert proba.shape == (1, 3) and np.isclose(proba.sum(), 1.0)
    assert 0.01 < small_model.heads["category"].temperature < 10


def test_it_saves_compactly_and_loads_the_same_predictions(small_model, tmp_path):
    small_model.save(tmp_path / "m")
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names == ["features.npz", "manifest.json", "weights-category.npz"]
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format"] == "tsur-text-model" and manifest["format_version"] == 1
    assert set(manifest["files"]) == {"features.npz", "weights-category.npz"}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())
    loaded = TextModel.load(tmp_path / "m")
    texts = ["яма на дороге", "не вывозят мусор", "течёт крыша"]
    assert np.allclose(loaded.predict_proba(texts), small_model.predict_proba(texts), atol=2e-3)  # float16 weights


def test_a_corrupted_file_is_named(small_model, tmp_path):
    small_model.save(tmp_path / "m")
    weights = tmp_path / "m" / "weights-category.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="weights-category.npz.*checksum"):
        TextModel.load(tmp_path / "m")


def test_a_file_from_another_model_is_named(small_model, tmp_path):
    small_model.save(tmp_path / "a")
    rows = synthetic_rows(seed=5)
    other = train_text_model([r["text"] + " дополнительно" for r in rows], [r["label"] for r in rows], config=TrainConfig(calibration_folds=0))
    other.save(tmp_path / "b")
    shutil.copy(tmp_path / "b" / "features.npz", tmp_path / "a" / "features.npz")
    with pytest.raises(ModelError, match="features.npz"):
        TextModel.load(tmp_path / "a")


def test_a_missing_or_foreign_manifest_is_named(tmp_path):
    with pytest.raises(ModelError, match="manifest.json"):
        TextModel.load(tmp_path)
    (tmp_path / "manifest.json").write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(ModelError, match="manifest.json.*not a tsur-text-model"):
        TextModel.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="unreadable manifest"):
        TextModel.load(tmp_path)


def test_it_uses_context_columns_when_trained_with_them():
    rows = synthetic_rows()
    # The context alone separates two labels whose texts are identical.
    texts = ["Грязно во дворе"] * 60
    labels = ["yard" if i % 2 else "house" for i in range(60)]
    ctx = [{"object": "Двор" if i % 2 else "Дом"} for i in range(60)]
    cfg = TrainConfig(features=FeatureParams(context_columns=["object"], context_weight=1.0), calibration_folds=0)
    model = train_text_model(texts + [r["text"] for r in rows], labels + [None] * len(rows), contexts=ctx + [{}] * len(rows), config=cfg)
    assert model.context_columns == ["object"]
    out = model.predict(["Грязно во дворе", "Грязно во дворе"], [{"object": "Двор"}, {"object": "Дом"}])
    assert [label for label, _ in out] == ["yard", "house"]


def test_the_shipped_default_model_loads_and_knows_the_rubricator():
    model = TextModel.load(DEFAULT_MODEL_DIR)
    assert set(model.heads) == {"category", "block"}
    category = model.heads["category"]
    assert len(category.labels) == 161
    assert set(category.label_blocks.values()) <= set(model.heads["block"].labels)
    blocks = {"health", "education", "social", "housing", "waste", "roads", "transport", "energy", "services", "ecology", "other"}
    assert set(model.heads["block"].labels) == blocks
    assert sum(p.stat().st_size for p in DEFAULT_MODEL_DIR.iterdir()) < 25 * 2**20
    (c,) = model.classify(["Огромная яма на дороге, машины бьют колёса"])
    assert c.block == "roads" and 0 < c.category_confidence <= c.block_confidence <= 1
