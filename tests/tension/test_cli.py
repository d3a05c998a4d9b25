"""`tsur tension detect` on synthetic files: CSV, CSV.gz, JSON lines, several files as one stream,
per-line messages for malformed lines, clear errors for unusable input and bad dates."""

from __future__ import annotations

import csv
import gzip
import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from tests.tension.synthetic import burst, day, steady

HEADER = ["id", "created", "district", "reason", "kind", "lat", "lon"]
COORDS = {"north": (59.95, 30.30), "south": (59.85, 30.35)}


def _rows() -> list[dict]:
    rng = np.random.default_rng(21)
    records = []
    for place in ("north", "south"):
        records += steady(rng, place=place, topic="snow", days=range(0, 120), rate=1.5, block="roads")
        records += steady(rng, place=place, topic="garbage", days=range(0, 120), rate=2.5, block="waste")
    records += burst(place="south", topic="snow", days=range(100, 107), per_day=7, block="roads")
    rows = []
    for i, r in enumerate(records):
        lat, lon = COORDS[r.place]
        rows.append(
            {"id": str(i), "created": f"{r.day.isoformat()}T10:{i % 60:02d}:00", "district": r.place, "reason": r.topic,
             "kind": r.block, "lat": f"{lat:.5f}", "lon": f"{lon:.5f}"}
        )  # fmt: skip
    return rows


def _csv(rows: list[dict]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=HEADER, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def _run(*args: str) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("tension", "detect", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()], err.getvalue()


COMMON = ["--time", "created", "--place", "district", "--topic", "reason", "--from", day(70).isoformat(), "--to", day(120).isoformat()]


def _assert_the_surge(points: list[dict]) -> None:
    assert points, "no points"
    top = next(p for p in points if p["level"] == "category")
    assert top["place"] == "south" and top["topic"] == "snow"
    assert day(99).isoformat() <= top["start"] <= day(100).isoformat()
    assert set(top) >= {"place", "topic", "start", "end", "count", "expected", "score", "state", "explanation"}
    assert "обращени" in top["explanation"]
    assert [p["score"] for p in points] == sorted((p["score"] for p in points), reverse=True)


def test_it_reads_a_csv_file(tmp_path: Path):
    f = tmp_path / "a.csv"
    f.write_text(_csv(_rows()), encoding="utf-8")
    points, err = _run("--data", str(f), *COMMON)
    _assert_the_surge(points)
    assert "0 skipped" in err


def test_it_reads_a_gzipped_csv_and_block_level_points(tmp_path: Path):
    f = tmp_path / "a.csv.gz"
    f.write_bytes(gzip.compress(_csv(_rows()).encode()))
    points, _ = _run("--data", str(f), *COMMON, "--parent-topic", "kind")
    _assert_the_surge(points)
    assert any(p["level"] == "block" and p["topic"] == "roads" and p["place"] == "south" for p in points)


def test_it_reads_json_lines_and_several_files_as_one_stream(tmp_path: Path):
    rows = _rows()
    half = len(rows) // 2
    a, b = tmp_path / "a.jsonl", tmp_path / "b.csv"
    a.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows[:half]), encoding="utf-8")
    b.write_text(_csv(rows[half:]), encoding="utf-8")
    points, err = _run("--data", str(a), "--data", str(b), *COMMON)
    _assert_the_surge(points)
    assert f"{len(rows)} rows read" in err


def test_it_places_rows_in_h3_cells_with_coordinates(tmp_path: Path):
    rows = _rows()
    for r in rows[::50]:
        r["lat"] = r["lon"] = ""  # no coordinates: the district is the place
    f = tmp_path / "a.csv"
    f.write_text(_csv(rows), encoding="utf-8")
    points, _ = _run("--data", str(f), *COMMON, "--lat", "lat", "--lon", "lon", "--top", "1", "--parent-topic", "kind")
    assert len(points) == 1
    assert points[0]["place"].startswith("87") and len(points[0]["place"]) == 15  # an H3 cell at resolution 7
    assert points[0]["topic"] in ("snow", "roads")


def test_it_reports_malformed_lines_one_by_one_and_goes_on(tmp_path: Path):
    text = _csv(_rows())
    lines = text.splitlines()
    lines.insert(5, "1,not-a-date,north,snow,roads,1,1")
    lines.insert(9, "2,2024-01-03T10:00:00,north")
    lines.insert(12, "3,2024-01-03T10:00:00,north,,roads,1,1")
    f = tmp_path / "bad.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    j = tmp_path / "bad.jsonl"
    j.write_text('{"created": "2024-01-02", "district": "north", "reason": "snow"}\n{broken\n[1, 2]\n', encoding="utf-8")
    points, err = _run("--data", str(f), "--data", str(j), *COMMON)
    _assert_the_surge(points)
    assert f"{f}:6: skipped: column 'created'" in err
    assert f"{f}:10: skipped: 3 fields where the header has 7" in err
    assert f"{f}:13: skipped: column 'reason' is empty" in err
    assert f"{j}:2: skipped: not valid JSON" in err
    assert f"{j}:3: skipped: a JSON line must be an object" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--from", "2024-13-01"], "--from '2024-13-01': not a date"),
        (["--to", "tomorrow"], "--to 'tomorrow': not a date"),
        (["--from", "2024-03-01", "--to", "2024-02-01"], "is not before --to"),
        (["--lat", "lat"], "--lat and --lon go together"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
    ],
)
def test_it_refuses_bad_dates_and_options_clearly(tmp_path: Path, extra: list[str], message: str):
    f = tmp_path / "a.csv"
    f.write_text(_csv(_rows()[:50]), encoding="utf-8")
    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        _run("--data", str(f), "--time", "created", "--place", "district", "--topic", "reason", *extra)


def test_it_refuses_unusable_files(tmp_path: Path):
    base = ["--time", "created", "--place", "district", "--topic", "reason"]
    with pytest.raises(CommandError, match="cannot open"):
        _run("--data", str(tmp_path / "missing.csv"), *base)
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match="the file is empty"):
        _run("--data", str(empty), *base)
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no column 'created', 'district', 'reason'"):
        _run("--data", str(other), *base)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(CommandError, match="not a readable UTF-8 text file"):
        _run("--data", str(binary), *base)
    bad_only = tmp_path / "bad_only.csv"
    bad_only.write_text("created,district,reason\nnope,north,snow\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no usable rows"):
        _run("--data", str(bad_only), *base)


def test_it_reads_semicolon_separated_files_with_a_byte_order_mark(tmp_path: Path):
    f = tmp_path / "excel.csv"
    f.write_bytes(b"\xef\xbb\xbf" + _csv(_rows()).replace(",", ";").encode("utf-8"))
    points, err = _run("--data", str(f), *COMMON)
    _assert_the_surge(points)
    assert "0 skipped" in err
