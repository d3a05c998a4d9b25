"""`tsur bench monitoring` prints one JSON object with its figures, measured (a small run on a
scratch SQLite file in a child process), and never runs on a database not named for it."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command


def test_the_benchmark_prints_its_figures():
    out = io.StringIO()
    call_command("bench", "monitoring", "--count", "300", "--runs", "1", "--appeals", "40", "--batch", "100", stdout=out, stderr=io.StringIO())
    report = json.loads(out.getvalue())
    assert report["database"] == "sqlite" and report["count"] == 300 and report["runs"] == 1
    assert report["intake_events_per_second"] > 0 and report["matched_events_per_second"] > 0
    assert 0 <= report["lag_p50_ms"] <= report["lag_p95_ms"] <= report["lag_p99_ms"]
    run = report["modes"]["ingest"]["runs"][0]
    assert run["accepted"] + run["updated"] + run["late"] + run["duplicates"] + run["rejected"] == 300
    assert run["rejected"] == 0 and run["duplicates"] > 0 and run["updated"] > 0
    assert run["events_matched"] == run["events_stored"] > 0


def test_it_refuses_a_database_not_named_for_a_benchmark():
    with pytest.raises(CommandError, match="bench"):
        call_command("bench", "monitoring", "--database", "postgres://postgres@127.0.0.1:5432/tsur", "--count", "10")
