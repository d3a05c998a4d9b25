#!/usr/bin/env python3
"""Evaluate place extraction: accuracy on the synthetic Kaluga set, false places in real texts
from other regions, and speed. Prints counts only: never a resident's text.

Usage (from the repository root):

    OPENBLAS_NUM_THREADS=1 .venv/bin/python scripts/eval_place.py [--shared /work/shared] [--natasha]

* ``tests/triage/data/place_eval.jsonl``: hand-written synthetic texts with the expected
  territory code (or null): accuracy, and the misses by expected/got code.
* ``<shared>/data/spb/appeals.csv.gz`` (St Petersburg, messages up to 2021-03-31; the held-back
  April month is not in that folder and is never read) and ``<shared>/data/kursk/train.csv``:
  none of these texts is about the Kaluga region, so every place found is a false one. Counted
  by how it was found: a place name, or a street of the Kaluga list alone.
* Speed of the gazetteer path (median of 5 runs) on the Kursk texts of 50–300 characters.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import html
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tsur.triage.engine.place import Gazetteer, bench_place  # noqa: E402

EVAL = REPO / "tests" / "triage" / "data" / "place_eval.jsonl"


def _how(found: dict) -> str:
    evidence = found["evidence"]
    if any(e.startswith("street:") for e in evidence) and not any(e.startswith("gazetteer:") for e in evidence):
        return "street only"
    return evidence[0].split(":", 1)[0] if evidence else "?"


def _false_places(gaz: Gazetteer, texts: list[str], label: str) -> None:
    how: collections.Counter[str] = collections.Counter()
    where: collections.Counter[tuple[str, str]] = collections.Counter()
    for text in texts:
        found = gaz.locate(text)
        if found:
            how[_how(found)] += 1
            where[(found["code"], _how(found))] += 1
    total = sum(how.values())
    print(f"{label}: {len(texts)} texts, a Kaluga place found in {total} ({total / max(1, len(texts)):.2%})")
    for kind, n in how.most_common():
        print(f"  {kind}: {n} ({n / max(1, len(texts)):.2%})")
    for (code, kind), n in where.most_common(8):
        print(f"    {code} by {kind}: {n}")


def _clean(raw: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", raw))).strip()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--natasha", action="store_true", help="also use the natasha fallback for the real-text checks (slow)")
    args = ap.parse_args()
    gaz = Gazetteer.from_files(use_natasha=args.natasha)

    rows = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    misses = collections.Counter()
    right = 0
    for row in rows:
        found = gaz.locate(row["text"])
        got = found["code"] if found else None
        if got == row["expected"]:
            right += 1
        else:
            misses[(row["expected"], got)] += 1
    print(f"synthetic set: {right}/{len(rows)} right ({right / len(rows):.1%})")
    for (expected, got), n in misses.most_common():
        print(f"  expected {expected}, got {got}: {n}")

    csv.field_size_limit(10**8)
    spb = args.shared / "data" / "spb" / "appeals.csv.gz"
    if spb.exists():
        with gzip.open(spb, "rt", encoding="utf-8", newline="") as fh:
            _false_places(gaz, [r["text"] for r in csv.DictReader(fh)], "St Petersburg")
    kursk = args.shared / "data" / "kursk" / "train.csv"
    kursk_texts: list[str] = []
    if kursk.exists():
        with kursk.open(encoding="utf-8", newline="") as fh:
            kursk_texts = [_clean(r["Текст Сообщения"]) for r in csv.DictReader(fh)]
        _false_places(gaz, kursk_texts, "Kursk")
        typical = [t for t in kursk_texts if 50 <= len(t) <= 300]
        print("speed on Kursk texts of 50-300 chars:", json.dumps(bench_place(typical, runs=5)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
