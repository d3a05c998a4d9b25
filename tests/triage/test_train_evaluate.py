"""Training and evaluation commands on any label column of CSV / CSV.gz / JSONL data, the time
split and grouped cross-validation, the organisation suggester, and the data-source mapping of
the default model. Synthetic data; the tests on ../shared skip when it is absent."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.triage.test_model import synthetic_rows
from tsur.triage.engine import evaluate as ev
from tsur.triage.engine.model import TextModel
from tsur.triage.engine.orgs import OrgSuggester, evaluate_orgs_time_split
from tsur.triage.engine.recipe import SPB_REASON_MAP, spb_reason_target
from tsur.triage.engine.train import TrainConfig, read_table

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _write_csv(path: Path, rows: list[dict]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_it_reads_csv_csv_gz_and_jsonl(tmp_path):
    rows = synthetic_rows(5)
    rows[0]["text"] = "Многострочный\nтекст, с запятой"
    _write_csv(tmp_path / "a.csv", rows)
    _write_csv(tmp_path / "a.csv.gz", rows)
    (tmp_path / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    for name in ("a.csv", "a.csv.gz", "a.jsonl"):
        got = read_table(tmp_path / name)
        assert [r["text"] for r in got] == [r["text"] for r in rows]
    (tmp_path / "bad.jsonl").write_text('{"text": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        read_table(tmp_path / "bad.jsonl")


def test_the_train_command_trains_any_label_column_and_classify_uses_it(tmp_path, capsys):
    data = _write_csv(tmp_path / "data.csv.gz", synthetic_rows())
    call_command("triage", "train", "--data", str(data), "--text", "text", "--label", "label", "--out", str(tmp_path / "m"))
    summary = json.loads(capsys.readouterr().out)
    assert summary["labels"] == 3 and summary["train_rows"] == 120
    model = TextModel.load(tmp_path / "m")
    assert model.info["label_column"] == "label"
    assert model.predict(["не вывозят мусор неделю"])[0][0] == "waste"


def test_the_train_command_takes_context_columns(tmp_path, capsys):
    data = _write_csv(tmp_path / "data.csv", synthetic_rows())
    call_command("triage", "train", "--data", str(data), "--text", "text", "--label", "label", "--context", "kind", "--out", str(tmp_path / "m"))
    assert TextModel.load(tmp_path / "m").context_columns == ["kind"]


def test_the_train_command_names_a_missing_column(tmp_path):
    data = _write_csv(tmp_path / "data.csv", synthetic_rows(3))
    with pytest.raises(CommandError, match="no column 'reason'"):
        call_command("triage", "train", "--data", str(data), "--text", "text", "--label", "reason", "--out", str(tmp_path / "m"))


def test_the_time_split_tests_on_the_newest_month_without_repeated_texts():
    rows = synthetic_rows()
    rows.append({**rows[0], "id": "copy", "created_dt": "2021-03-30T10:00:00"})  # a repeat in the test month
    report = ev.evaluate_time_split(rows, "text", "label", time_column="created_dt", config=TrainConfig(calibration_folds=0))
    assert report["test_month"] == "2021-03"
    assert report["rows_after_dedup"] < report["rows_total"]
    assert report["train_rows"] + report["test_rows"] == report["rows_after_dedup"]
    assert 0.0 <= report["accuracy"] <= 1.0 and 0.0 <= report["macro_f1"] <= 1.0
    assert set(report["per_class"]) >= {"roads", "housing", "waste"}
    labels = report["confusion"]["labels"]
    assert len(report["confusion"]["matrix"]) == len(labels)


def test_cross_validation_keeps_identical_texts_in_one_fold():
    rows = synthetic_rows()
    report = ev.evaluate_cv(rows, "text", "label", k=3, config=TrainConfig(calibration_folds=0))
    assert report["n"] == len(rows)
    assert report["accuracy"] > 0.8  # synthetic classes are easy: this checks the plumbing, not quality
    from tsur.triage.engine.text import normalise
    from tsur.triage.engine.train import folds

    texts = [r["text"] for r in rows]
    import numpy as np

    y = np.array([["roads", "housing", "waste"].index(r["label"]) for r in rows])
    fold_of = {}
    for f, test in enumerate(folds(y, [normalise(t) for t in texts], 3)):
        for i in test:
            key = normalise(texts[i])
            assert fold_of.setdefault(key, f) == f


def test_the_evaluate_command_prints_a_summary_and_writes_the_full_report(tmp_path, capsys):
    data = _write_csv(tmp_path / "data.csv", synthetic_rows())
    args = ["--data", str(data), "--text", "text", "--label", "label", "--time-column", "created_dt", "--json", str(tmp_path / "r.json")]
    call_command("triage", "evaluate", *args)
    summary = json.loads(capsys.readouterr().out)
    assert {"accuracy", "macro_f1", "ece"} <= set(summary)
    full = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert "per_class" in full and "confusion" in full
    with pytest.raises(CommandError, match="choose"):
        call_command("triage", "evaluate", "--data", str(data))


def test_metrics_report_calibration():
    m = ev.metrics(["a", "a", "b", "b"], ["a", "b", "b", "b"], [0.9, 0.6, 0.8, 0.7])
    assert m["accuracy"] == 0.75
    assert m["per_class"]["a"]["recall"] == 0.5 and m["per_class"]["b"]["precision"] == pytest.approx(0.6667, abs=1e-4)
    assert m["confusion"] == {"labels": ["a", "b"], "matrix": [[1, 1], [0, 2]]}
    assert 0.0 <= m["ece"] <= 1.0


def test_the_org_suggester_learns_category_and_territory():
    rows = []
    for i in range(120):
        district = ["Северный", "Южный"][i % 2]
        category = ["Дороги", "ЖКХ"][(i // 2) % 2]
        org = {"Дороги": "Дорожная служба"}.get(category) or f"Жилищное агентство {district}"
        rows.append({"text": ["Яма на дороге", "Грязно в подъезде"][(i // 2) % 2], "category": category, "district": district, "org": org})
    suggester = OrgSuggester.train([r["text"] for r in rows], [r["category"] for r in rows], [r["district"] for r in rows], [r["org"] for r in rows])
    top = suggester.suggest("Грязно в подъезде", "ЖКХ", "Южный", k=3)
    assert top[0][0] == "Жилищное агентство Южный" and len(top) == 3
    assert top[0][1] >= top[1][1] >= top[2][1]


def test_the_org_evaluation_reports_top1_and_top3():
    rows = []
    for i, r in enumerate(synthetic_rows()):
        district = ["Северный", "Южный"][i % 2]
        rows.append({**r, "category": r["label"], "district": district, "responsible_org": f"{r['label']}-{district}"})
    report = evaluate_orgs_time_split(rows)
    assert report["top1"] <= report["top3"] and report["test_rows"] > 0
    assert "baseline_majority_per_category_territory" in report


def test_the_st_petersburg_mapping_follows_the_kursk_blocks():
    assert spb_reason_target("Благоустройство", "Повреждения дорожного покрытия  проезжей части")[0] == "roads"
    assert spb_reason_target("Благоустройство", "Повреждения дорожного покрытия тротуара")[0] == "housing"
    assert spb_reason_target("Содержание МКД", "Сломанный мусорный контейнер")[0] == "waste"
    assert spb_reason_target("Содержание МКД", "Неисправный домофон") == ("housing", None)
    assert spb_reason_target("Благоустройство", "Неубранный снег") == (None, None)  # roofs and bridges mixed
    assert spb_reason_target("Кровля", "Неубранный снег")[0] == "housing"
    assert spb_reason_target("Незнакомая", "Причина") == (None, None)
    blocks = {b for _, _, b, _ in SPB_REASON_MAP if b}
    assert blocks <= {"housing", "roads", "waste", "other", "energy", "ecology"}


@pytest.mark.skipif(not (SHARED / "spb" / "appeals.csv.gz").is_file(), reason="../shared/data is absent")
def test_every_st_petersburg_topic_is_a_rubricator_topic():
    from tsur.triage.engine.recipe import _squash

    topics = {_squash(r["topic"]): r["block"] for r in read_table(SHARED / "kursk" / "topic_blocks.csv")}
    for category, reason, block, topic in SPB_REASON_MAP:
        if topic:
            assert _squash(topic) in topics, (category, reason)
            assert block is None or topics[_squash(topic)] == block, (category, reason)


def test_operators_corrections_join_the_default_training_set(tmp_path):
    from tsur.triage.engine.recipe import CORRECTIONS, LabelledSet, add_corrections

    taxonomy = [
        {"code": "roads-pits", "name": "Ямы  на дорогах", "block": "roads"},
        {"code": "waste-yard", "name": "Мусор во дворе", "block": "waste"},
    ]
    rows = [
        {"text": "<b>Яма</b> на Ленина", "category": "Ямы на дорогах", "block": "roads"},  # name squashed, HTML cleaned
        {"text": "Газом пахнет в подъезде", "category": "Газоснабжение", "block": "waste"},  # not a topic: block only
        {"text": "Что-то непонятное", "category": "Нет такой", "block": "nowhere"},  # neither: skipped
        {"text": "   ", "category": "Мусор во дворе", "block": "waste"},  # empty text: skipped
    ]
    path = tmp_path / "corrections.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    data = LabelledSet()
    assert add_corrections(data, path, taxonomy) == 2
    assert data.texts == ["Яма на Ленина", "Газом пахнет в подъезде"]
    assert data.category == ["Ямы на дорогах", None] and data.block == ["roads", "waste"]
    assert data.category_weight == [1.0, 0.0] and data.block_weight == [1.0, 1.0]
    assert data.source == [CORRECTIONS, CORRECTIONS] and data.sources == {"corrections:corrections.jsonl": 2}


@pytest.mark.skipif(not (SHARED / "kursk" / "train.csv").is_file(), reason="../shared/data is absent")
def test_build_default_trains_on_the_corrections_too(tmp_path):
    import io

    corrections = tmp_path / "corrections.jsonl"
    topic = "Неудовлетворительное содержание детской (спортивной) площадки на территории многоквартирных домов"
    row = {"text": "Во дворе дома 5 сломали качели", "category": topic, "block": "housing"}
    corrections.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    out = io.StringIO()
    call_command("triage", "build-default", "--shared", str(SHARED), "--out", str(tmp_path / "model"), "--corrections", str(corrections), stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["sources"]["corrections:corrections.jsonl"] == 1
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text(encoding="utf-8"))
    assert "corrections:corrections.jsonl" in json.dumps(manifest, ensure_ascii=False)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("triage", "build-default", "--shared", str(SHARED), "--corrections", str(tmp_path / "missing.jsonl"))
