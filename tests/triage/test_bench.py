"""`tsur bench triage` and `tsur bench steps`: every figure is produced and printed (synthetic
messages, one run). The speeds themselves are measured by the commands, never asserted here: a
threshold in a test fails on a busy machine and proves nothing on a fast one."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from tsur.triage.engine.bench import bench_steps, bench_triage, markdown, markdown_steps, synthetic_texts


def test_it_reports_every_figure_and_renders_the_table():
    texts = ["Яма на дороге по ул. Ленина", "Не вывозят мусор во дворе", "В квартире нет отопления", "Не горит фонарь у подъезда"]
    records = [{"id": i, "text": f"{texts[i % 4]}, дом {i}", "created_at": "2025-01-10T10:00:00"} for i in range(40)]
    report = bench_triage(records, runs=1, full_limit=40, batch=8, workers=2)
    full = report["full_triage_msgs_per_second"]
    assert set(full) == {"1_process_ner_on", "1_process_ner_off", "2_processes_ner_on", "2_processes_ner_off"}
    assert all(v["median"] > 0 and v["runs"] == 1 for v in full.values())
    assert report["classification_msgs_per_second"]["median"] > 0
    assert report["model_load_seconds"]["median"] > 0
    assert report["pipeline_first_load_seconds_fresh_process"]["median"] > 0
    assert report["max_rss_mib_worker"] > 0
    table = markdown(report)
    assert "full triage, 2 processes (`--workers 2`), NER fallback on" in table
    assert table.count("\n") == 13


def test_it_measures_each_step_without_a_model_and_counts_what_it_found():
    report = bench_steps(synthetic_texts(60), runs=1, source="synthetic")
    for figure in ("masking_texts_per_second", "urgency_texts_per_second", "gazetteer_build_seconds"):
        assert report[figure]["median"] > 0 and report[figure]["runs"] == 1
    assert set(report["place_texts_per_second"]) == {"gazetteer", "with_natasha"}
    # Of every six synthetic texts: one has a phone and a name, two are urgent in winter, two name a
    # place of the shipped gazetteer (the town, or a street of its list alone).
    assert (report["texts"], report["masking_texts_changed"], report["urgency_high"]) == (60, 10, 20)
    assert report["place_found"] == {"gazetteer": 20, "with_natasha": 20}
    table = markdown_steps(report)
    assert "personal-data masking, regex path (60 synthetic texts)" in table
    assert "gazetteer construction from the shipped files" in table
    assert table.count("\n") == 6


def test_the_steps_command_prints_the_figures():
    out = io.StringIO()
    call_command("bench", "steps", "--synthetic", "--runs", "1", "--limit", "12", stdout=out)
    report = json.loads(out.getvalue())
    assert report["texts"] == 12 and report["texts_source"] == "synthetic"
    assert {"masking_texts_per_second", "urgency_texts_per_second", "gazetteer_build_seconds", "place_texts_per_second"} <= set(report)
