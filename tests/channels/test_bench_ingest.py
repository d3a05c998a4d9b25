"""`tsur bench_ingest` runs end to end on a small synthetic stream and prints its figures (the
benchmark itself is run by hand: docs/channels.md)."""

from __future__ import annotations

import json
import subprocess
import sys


def test_the_ingest_benchmark_runs_and_reports(tmp_path):
    env_db = f"sqlite:///{tmp_path}/bench.sqlite3"
    out = subprocess.run(
        [sys.executable, "-m", "tsur", "bench_ingest", "--count", "60", "--runs", "1", "--source", "synthetic", "--json"],
        capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "TSUR_DATABASE_URL": env_db, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    run = result["runs"][0]
    assert result["database"] == "sqlite" and result["directory"] == "kaluga"
    assert run["appeals"] + run["signals"] == 60 and run["other"] == 0
    assert run["appeals"] > 0 and run["signals"] > 0  # screening told complaints from noise
    assert result["median"]["msg_per_s"] > 0 and run["p50_ms"] <= run["p99_ms"]
