"""`tsur bench triage`: every figure the evaluation document quotes is produced (synthetic
messages, one run: the speeds themselves are measured on the real data, not here)."""

from __future__ import annotations

from tsur.triage.engine.bench import bench_triage, markdown


def test_it_reports_every_figure_and_renders_the_table():
    texts = ["Яма на дороге по ул. Ленина", "Не вывозят мусор во дворе", "В квартире нет отопления", "Не горит фонарь у подъезда"]
    records = [{"id": i, "text": f"{texts[i % 4]}, дом {i}", "created_at": "2025-01-10T10:00:00"} for i in range(40)]
    report = bench_triage(records, runs=1, full_limit=40, batch=8, workers=2)
    full = report["full_triage_msgs_per_second"]
    assert set(full) == {"1_process_ner_on", "1_process_ner_off", "2_processes_ner_on", "2_processes_ner_off"}
    assert all(v["median"] > 0 and v["runs"] == 1 for v in full.values())
    assert report["classification_msgs_per_second"]["median"] > 0
    assert 0 < report["model_load_seconds"]["median"] < 5
    assert report["pipeline_first_load_seconds_fresh_process"]["median"] > 0
    assert report["max_rss_mib_worker"] > 0
    table = markdown(report)
    assert "full triage, 2 processes (`--workers 2`), NER fallback on" in table
    assert table.count("\n") == 13
