"""`tsur classify`: JSON lines in, one decision per line out, in input order; a bad line gives an
error line and the stream goes on; a broken model stops with an error naming the file. Synthetic
messages only."""

from __future__ import annotations

import io
import json
import shutil
import sys

import pytest
from django.core.management import CommandError, call_command

from tsur.triage.engine.pipeline import DEFAULT_MODEL_DIR, MAX_LINE_BYTES, Triage
from tsur.triage.engine.place import demo_places
from tsur.triage.engine.text import MAX_TEXT_CHARS

REQUIRED = {
    "id",
    "block",
    "block_confidence",
    "category",
    "category_confidence",
    "territory",
    "urgency",
    "urgency_reason",
    "is_complaint",
    "duplicate_of",
}


def _classify(tmp_path, lines: list[str | bytes], *args: str) -> list[dict]:
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as fh:
        for line in lines:
            fh.write((line.encode("utf-8") if isinstance(line, str) else line) + b"\n")
    out = io.StringIO()
    call_command("classify", "--input", str(src), *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture(scope="module")
def triage():
    return Triage.load(places=demo_places())


def test_it_answers_every_line_in_order_with_the_schema(tmp_path):
    lines = [
        json.dumps({"id": 1, "text": "На улице Ленина в Калуге огромная яма на дороге, машины бьют колёса", "created_at": "2025-01-10T10:00:00"}),
        json.dumps({"id": "b", "text": "Третью неделю не вывозят мусор с контейнерной площадки в Обнинске"}),
        json.dumps({"id": 3, "text": "В квартире нет отопления, дома маленькие дети", "created_at": "2025-01-12"}),
    ]
    out = _classify(tmp_path, lines)
    assert [o["id"] for o in out] == [1, "b", 3]
    for o in out:
        assert REQUIRED <= set(o)
        assert 0.0 <= o["block_confidence"] <= 1.0 and 0.0 <= o["category_confidence"] <= 1.0
    assert [o["block"] for o in out] == ["roads", "waste", "housing"]
    assert out[0]["territory"]["code"] == "kaluga" and out[0]["territory"]["evidence"]
    assert set(out[0]["territory"]) >= {"code", "name", "level", "evidence"}
    assert out[2]["urgency"] == "high" and out[2]["urgency_reason"]


def test_bad_lines_give_errors_and_the_stream_goes_on(tmp_path):
    lines: list[str | bytes] = [
        "not json at all",
        '{"id": 7, "text": "обрыв',  # malformed, but the id can still be read
        json.dumps({"id": 8, "text": ""}),
        json.dumps({"id": 9, "text": "<p>&nbsp;</p>"}),
        json.dumps({"id": 10, "text": "x" * (MAX_TEXT_CHARS + 1)}),
        json.dumps({"id": 11, "text": "\x00\x01\x02бинарные\x03\x04 данные"}),
        b'{"id": 12, "text": "\xff\xfe\xfa"}',
        json.dumps([1, 2]),
        json.dumps({"id": 13}),
        json.dumps({"id": 14, "text": 5}),
        json.dumps({"id": 15, "text": "Не работает уличное освещение на нашей улице"}),
    ]
    out = _classify(tmp_path, lines, "--no-place")
    assert len(out) == len(lines)
    errors = [o.get("error", "") for o in out]
    assert errors[0].startswith("malformed JSON") and out[0]["id"] is None
    assert errors[1].startswith("malformed JSON") and out[1]["id"] == 7
    assert "empty" in errors[2] and "empty" in errors[3]
    assert "too long" in errors[4] and str(MAX_TEXT_CHARS) in errors[4]
    assert "binary" in errors[5]
    assert "UTF-8" in errors[6] and out[6]["id"] == 12
    assert "JSON object" in errors[7]
    assert "missing" in errors[8] and "string" in errors[9]
    assert "error" not in out[10] and out[10]["block"] == "housing"


def test_html_is_stripped_and_said(tmp_path):
    (o,) = _classify(tmp_path, [json.dumps({"id": 1, "text": "<p>Яма&nbsp;на&nbsp;дороге по <b>улице Садовой</b></p>"})], "--no-place")
    assert o["block"] == "roads" and "HTML removed" in o["warnings"]


def test_non_russian_text_is_classified_with_low_confidence_and_a_warning(tmp_path):
    (o,) = _classify(tmp_path, [json.dumps({"id": 1, "text": "The bus never comes on time and the driver is rude"})], "--no-place")
    assert o["block"] in {"health", "education", "social", "housing", "waste", "roads", "transport", "energy", "services", "ecology", "other"}
    assert o["block_confidence"] < 0.1 and o["category_confidence"] < 0.1
    assert any("not Russian" in w for w in o["warnings"])


def test_duplicates_point_to_an_earlier_line(tmp_path):
    text = "Огромная яма на дороге по улице Садовой у дома 5, уже третью неделю никто не ремонтирует"
    lines = [
        json.dumps({"id": "a", "text": text, "address": "ул. Садовая, д. 5", "created_at": "2025-03-01T10:00:00"}),
        json.dumps({"id": "b", "text": "Третью неделю не вывозят мусор", "address": "ул. Мира, д. 1", "created_at": "2025-03-01T11:00:00"}),
        json.dumps({"id": "c", "text": text + "!!!", "address": "ул. Садовая, д. 5", "created_at": "2025-03-02T09:00:00"}),
    ]
    out = _classify(tmp_path, lines, "--no-place")
    assert [o["duplicate_of"] for o in out] == [None, None, "a"]


def test_over_long_lines_are_rejected_unread(tmp_path):
    big = json.dumps({"id": 99, "text": "а" * (MAX_LINE_BYTES // 2 + 10)})
    out = _classify(tmp_path, [big, json.dumps({"id": 100, "text": "Яма на дороге"})], "--no-place")
    assert out[0]["id"] == 99 and "too long" in out[0]["error"]
    assert out[1]["block"] == "roads"


def test_it_reads_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"id": 1, "text": "Не вывозят мусор"}) + "\n\n"))
    out = io.StringIO()
    call_command("classify", "--no-place", "--no-screening", stdout=out)
    (o,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert o["block"] == "waste" and o["is_complaint"] is None


def test_a_custom_model_predicts_its_column_into_category(tmp_path):
    from tests.triage.test_model import synthetic_rows
    from tsur.triage.engine.train import TrainConfig, train_text_model

    rows = synthetic_rows()
    model = train_text_model([r["text"] for r in rows], [r["label"].upper() for r in rows], config=TrainConfig(calibration_folds=0))
    model.save(tmp_path / "m")
    line = json.dumps({"id": 1, "text": "Переполнены контейнеры, не вывозят мусор"})
    (o,) = _classify(tmp_path, [line], "--model", str(tmp_path / "m"), "--no-place")
    assert o["category"] == "WASTE"
    assert o["block"] == "waste"  # the block still comes from the default model


def test_a_corrupted_model_stops_with_the_file_named(tmp_path):
    shutil.copytree(DEFAULT_MODEL_DIR, tmp_path / "m")
    weights = tmp_path / "m" / "weights-block.npz"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(CommandError, match="weights-block.npz"):
        _classify(tmp_path, [json.dumps({"id": 1, "text": "яма"})], "--model", str(tmp_path / "m"))


def test_the_pipeline_api_processes_records(triage):
    out = list(triage.process([{"id": 1, "text": "Яма на дороге"}, "not a dict", {"id": 2, "text": "Не вывозят мусор"}]))
    assert [o["id"] for o in out] == [1, None, 2]
    assert "error" in out[1]
    assert out[0]["block"] == "roads" and out[0]["category_code"]
