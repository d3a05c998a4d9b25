"""Complaint screening: the shipped model on synthetic posts, training round-trip, corrupted files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tsur.triage.engine.screening import ComplaintScreen, FeatureConfig, ScreeningModelError, normalise
from tsur.triage.engine.screening_rules import judge

SHIPPED = Path(__file__).resolve().parents[2] / "tsur/triage/models/default/screening"

COMPLAINTS = [
    "Во дворе дома на улице Садовой уже вторую неделю не вывозят мусор, контейнеры переполнены, крысы бегают. Сколько можно?",
    "Соседи, у кого ещё нет горячей воды? Управляющая компания не отвечает, заявки игнорируют уже пять дней.",
    "Безобразие! На перекрёстке у школы огромная яма, машины пробивают колёса, а дорожная служба ничего не делает.",
]
ADS = [
    "Продам детскую коляску в отличном состоянии, цена 5000 руб. Пишите в личку, доставка по району.",
    "Требуется продавец-консультант в магазин, график 2/2, зарплата от 40 000 руб. Звоните по телефону.",
]
THANKS = [
    "Огромное спасибо всем, кто пришёл на наш праздник двора! Дети были в восторге, ждём вас снова в следующем году.",
]


@pytest.fixture(scope="module")
def shipped() -> ComplaintScreen:
    return ComplaintScreen.load(SHIPPED)


def test_it_loads_the_shipped_model_and_separates_complaints_from_noise(shipped):
    complaints = shipped.predict(COMPLAINTS)
    noise = shipped.predict(ADS + THANKS)
    assert all(flag for flag, _ in complaints)
    assert not any(flag for flag, _ in noise)
    assert min(p for _, p in complaints) > max(p for _, p in noise)
    for flag, prob in complaints + noise:
        assert isinstance(flag, bool) and 0.0 <= prob <= 1.0


def test_predict_handles_empty_and_odd_input(shipped):
    out = shipped.predict(["", "   ", "<p>Протекает крыша&nbsp;в подъезде</p>", "x" * 50_000])
    assert len(out) == 4
    assert shipped.predict([]) == []


def test_the_shipped_model_is_small_and_has_a_manifest_with_checksums():
    manifest = json.loads((SHIPPED / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "complaint-screening"
    assert set(manifest["artifacts"]) == {"weights.npz"}
    assert len(manifest["artifacts"]["weights.npz"]["sha256"]) == 64
    assert sum(f.stat().st_size for f in SHIPPED.iterdir()) < 8_000_000
    assert 0.0 < manifest["threshold"] < 1.0


def test_a_corrupted_weights_file_is_an_error_naming_it(tmp_path):
    model_dir = tmp_path / "screening"
    shutil.copytree(SHIPPED, model_dir)
    weights = model_dir / "weights.npz"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ScreeningModelError, match="weights.npz"):
        ComplaintScreen.load(model_dir)


def test_a_missing_or_broken_manifest_is_an_error_naming_it(tmp_path):
    with pytest.raises(ScreeningModelError, match="manifest.json"):
        ComplaintScreen.load(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ScreeningModelError, match="manifest.json"):
        ComplaintScreen.load(tmp_path)


def test_a_missing_artifact_is_an_error_naming_it(tmp_path):
    model_dir = tmp_path / "screening"
    shutil.copytree(SHIPPED, model_dir)
    (model_dir / "weights.npz").unlink()
    with pytest.raises(ScreeningModelError, match="weights.npz"):
        ComplaintScreen.load(model_dir)


def test_it_trains_saves_and_loads_the_same_predictions(tmp_path):
    positives = COMPLAINTS * 3 + ["Не горит фонарь у подъезда, темно и опасно", "Течёт крыша, заливает квартиру на пятом этаже"]
    negatives = ADS * 3 + THANKS * 3 + ["Приглашаем на концерт в субботу, вход свободный", "Нашли собаку у парка, ищем хозяина"]
    model = ComplaintScreen.train(positives, negatives, config=FeatureConfig(n_bits=16), min_df=1, c=10.0)
    model.threshold = 0.5
    model.save(tmp_path / "m")
    again = ComplaintScreen.load(tmp_path / "m")
    probe = ["Во дворе не вывозят мусор уже неделю", "Продам велосипед, цена договорная"]
    assert [round(p, 2) for _, p in model.predict(probe)] == [round(p, 2) for _, p in again.predict(probe)]
    assert again.predict(probe)[0][1] > again.predict(probe)[1][1]


def test_training_needs_both_classes():
    with pytest.raises(ValueError):
        ComplaintScreen.train(COMPLAINTS, [])


def test_normalise_folds_placeholders_links_and_markup():
    text = normalise("Новости.Сегодня <b>звоните</b> +7 (921) 123-45-67, [телефон], http://example.org/x XXXX Expand text…")
    assert "ттелефон" in text and "ссылка" in text
    assert "<b>" not in text and "xxxx" not in text and "expand" not in text
    assert "новости. сегодня" in text
    assert len(normalise("слово " * 1000, 100)) <= 100


def test_rules_flag_clear_cases():
    assert judge("Сколько можно! Во дворе не убирают мусор уже месяц, управляющая компания не реагирует").label == "complaint"
    assert judge("Продам диван, цена 3000 руб, доставка").label == "noise"
