"""Side-by-side storm throughput of two trees: `tsur bench_ingest --source storm` run from each
tree in turn, each against its own PostgreSQL scratch database emptied before every run, so both
start every run from the directory alone. Prints each run, the medians and the ratio of each pair.

    .venv/bin/python scripts/storm_pair.py --before /tmp/before --after . --pairs 8 \
        --database-before postgres://postgres@127.0.0.1:5432/tsur_bench_storms_b \
        --database-after postgres://postgres@127.0.0.1:5432/tsur_bench_storms

The order alternates (after first, then before first) so that neither tree always runs on the
warmer or the quieter minute. The machine's speed drifts between minutes: compare only the
pairs of one invocation. The number joined to problems is printed too: trees that decide the same
give the same numbers on the first run of a fresh database.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

RUN = re.compile(r"прогон 1: (\d+) сообщ\./с.*?присоединено к проблемам (\d+)")


def empty(database: str) -> None:
    """What `bench_ingest` itself does between its runs: TRUNCATE … CASCADE of the posts and
    residents, which takes the appeals and everything on them."""
    subprocess.run(
        ["psql", "-q", database, "-c", "TRUNCATE appeals_resident, intake_channels_inboundmessage CASCADE"],
        check=True,
        capture_output=True,
    )


def one_run(tree: Path, database: str, count: int, python: str, data: Path) -> tuple[int, int]:
    """(msg/s, appeals joined to problems) of one run of `count` posts from `tree`."""
    out = subprocess.run(
        [python, "-m", "tsur", "bench_ingest", "--source", "storm", "--count", str(count), "--runs", "1", "--database", database]
        + ["--data", str(data)],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = RUN.search(out)
    if found is None:
        raise SystemExit(f"no result in the output of {tree}:\n{out}")
    return int(found.group(1)), int(found.group(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the tree before the change")
    parser.add_argument("--after", type=Path, required=True, help="the tree after the change")
    parser.add_argument("--database-before", required=True, help="postgres://… scratch database of the tree before")
    parser.add_argument("--database-after", required=True, help="postgres://… scratch database of the tree after")
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--count", type=int, default=3000, help="posts per run (default 3000)")
    parser.add_argument(
        "--data", type=Path, default=None, help="the shared data folder for both trees (default: ../shared/data beside --after)"
    )
    parser.add_argument("--python", default=sys.executable, help="the interpreter with the dependencies (default: this one)")
    args = parser.parse_args()
    if "TSUR_SECRET_KEY_FILE" not in os.environ and "TSUR_SECRET_KEY" not in os.environ:
        raise SystemExit("set TSUR_SECRET_KEY_FILE (as for any tsur command)")
    data = args.data or args.after.resolve().parent / "shared" / "data"
    trees = {"after": (args.after.resolve(), args.database_after), "before": (args.before.resolve(), args.database_before)}
    results: dict[str, list[int]] = {"after": [], "before": []}
    for i in range(args.pairs):
        for name in ("after", "before") if i % 2 == 0 else ("before", "after"):
            tree, database = trees[name]
            empty(database)
            rate, joined = one_run(tree, database, args.count, args.python, data)
            results[name].append(rate)
            print(f"pair {i + 1}, {name}: {rate} msg/s, {joined} joined", flush=True)
    for name, rates in results.items():
        print(f"{name}: median {statistics.median(rates):.0f} msg/s {rates}")
    ratios = [a / b for a, b in zip(results["after"], results["before"], strict=True)]
    print(f"after / before, each pair: {[round(r, 2) for r in ratios]}; median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
