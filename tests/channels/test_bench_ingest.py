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


def test_the_storm_stream_runs_in_a_tiny_mode_and_joins_its_duplicates(tmp_path):
    env_db = f"sqlite:///{tmp_path}/bench.sqlite3"
    out = subprocess.run(
        [sys.executable, "-m", "tsur", "bench_ingest", "--count", "40", "--runs", "1", "--source", "storm", "--json"],
        capture_output=True, text=True, timeout=600,
        env={**__import__("os").environ, "TSUR_DATABASE_URL": env_db, "OPENBLAS_NUM_THREADS": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    run = result["runs"][0]
    assert result["source"] == "storm" and result["complaint_share"] == 0.85
    assert result["storm_texts"] in ("реальные", "шаблоны")
    assert run["appeals"] + run["signals"] == 40 and run["other"] == 0
    # Mostly complaints about a few problems: most appeals are joined to a problem.
    assert run["appeals"] >= 28 and run["joined"] >= run["appeals"] // 2, run


def test_the_storm_posts_are_near_duplicates_of_a_few_problems():
    from collections import Counter

    from tsur.demo.bench_storm import PLACES, PREFIXES, SUFFIXES, TEMPLATES, TOPICS, storm_posts

    items = storm_posts(
        400, 3, complaint_share=0.85, wordings={t: [TEMPLATES[t]] for t in TOPICS}, stream=None,
        item=lambda run, i, complaint, text: (complaint, text),
    )
    complaints = [text for complaint, text in items if complaint]
    assert 0.8 <= len(complaints) / len(items) <= 0.9

    def core(text: str) -> str:
        for prefix in filter(None, PREFIXES):
            text = text.removeprefix(prefix)
        for suffix in filter(None, SUFFIXES):
            text = text.removesuffix(suffix)
        return text

    cores = Counter(core(t) for t in complaints)
    problems = PLACES * len(TOPICS)
    # The storm's problems carry most complaints; each is said in several ways (near-duplicates).
    assert sum(n for _, n in cores.most_common(problems)) >= 0.75 * len(complaints)
    assert len(set(complaints)) > problems
