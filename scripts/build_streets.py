#!/usr/bin/env python3
"""Build tsur/demo/data/streets.json: the street list of the city of Kaluga for place extraction.

Usage (from the repository root):

    .venv/bin/python scripts/build_streets.py [--shared /work/shared]

Reads ``<shared>/geo/kaluga/kaluga_city_streets.csv`` (491 KLADR-style rows, c. 2011; see that
folder's README for the source) and writes one object per distinct (name, type):
``{"name": "Ленина", "type": "улица", "territory": "kaluga"}``. A type written in brackets in the
name («Декабристов (проезд)») is dropped from the name; the row's own type column is kept. Pure
standard library; the output is sorted and stable, so reruns give the same file.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tsur" / "demo" / "data" / "streets.json"
TERRITORY = "kaluga"


def build(shared: Path) -> list[dict]:
    src = shared / "geo" / "kaluga" / "kaluga_city_streets.csv"
    seen: set[tuple[str, str]] = set()
    rows: list[dict] = []
    with src.open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            name = re.sub(r"\s*\([^)]*\)\s*", " ", rec["name"]).strip()
            kind = rec["type"].strip()
            if not name or not kind or (name, kind) in seen:
                continue
            seen.add((name, kind))
            rows.append({"name": name, "type": kind, "territory": TERRITORY})
    rows.sort(key=lambda r: (r["name"], r["type"]))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared", help="folder holding geo/kaluga (default: ../shared)")
    args = ap.parse_args()
    rows = build(args.shared)
    if len(rows) < 400:
        print(f"only {len(rows)} streets read: wrong input?", file=sys.stderr)
        return 1
    # One street per line: small, and diffs stay readable.
    body = ",\n".join(" " + json.dumps(r, ensure_ascii=False) for r in rows)
    OUT.write_text("[\n" + body + "\n]\n", encoding="utf-8")
    print(f"{OUT.relative_to(REPO)}: {len(rows)} streets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
