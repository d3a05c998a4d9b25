"""`tsur bench partitions`: the event log as one table against monthly partitions, side by side.

1. From a filled bench database (`tsur bench workspace` or `tsur bench load` filled it), two scratch
   copies: in the first the log is inflated — `copies` more copies of every event, each shifted back
   by seven months more (about ten years of history with the default 17); the second is made from
   the first and converted with `tsur events partition --yes` (timed: that is how long writers of
   events wait).
2. The reads and writes the platform makes on events, `rounds` rounds of `per_round` each,
   alternating which copy goes first: an appeal's history (by appeal), the last day's events of a
   kind (by time), one event by id, one insert (rolled back). Median time per statement.
3. Both copies are dropped at the end, also on error.

Figures only; no appeal text is printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

EVENT_COLUMNS = "kind, actor_label, at, from_status, to_status, reason, data, actor_id, appeal_id"
# Name: (statement, what its one parameter is: an appeal's id, an event's id, or none).
STATEMENTS = {
    "история обращения (по обращению)": ("SELECT * FROM appeals_event WHERE appeal_id = %s ORDER BY at, id", "appeal"),
    "события вида за сутки (по времени)": (
        "SELECT count(*) FROM appeals_event WHERE at >= now() - interval '1 day' AND kind = 'route'", None),
    "одно событие по номеру": ("SELECT reason FROM appeals_event WHERE id = %s", "event"),
    "запись события (с откатом)": (
        "INSERT INTO appeals_event (kind, actor_label, at, from_status, to_status, reason, data, appeal_id) "
        "VALUES ('note', '', now(), '', '', '', '{}', %s)", "appeal"),
}  # fmt: skip


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextmanager
def _scratch(url: str, names: list[str]):
    admin = psycopg.connect(_with_db(url, "postgres"), autocommit=True)
    try:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        yield admin
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def run(url: str, *, copies: int, rounds: int, per_round: int, log: Callable[[str], None]) -> dict[str, Any]:
    source = urlsplit(url).path.lstrip("/")
    one, parts = f"{source}_events_one", f"{source}_events_parts"
    report: dict[str, Any] = {"source": source, "copies": copies, "rounds": rounds, "per_round": per_round}
    with _scratch(url, [one, parts]) as admin:
        log("копия базы, журнал событий одной таблицей…")
        admin.execute(f'CREATE DATABASE "{one}" TEMPLATE "{source}"')
        with psycopg.connect(_with_db(url, one), autocommit=True) as conn:
            conn.execute(
                f"INSERT INTO appeals_event ({EVENT_COLUMNS}) SELECT {EVENT_COLUMNS.replace('at,', 'at - n * %s::interval,')} "
                "FROM appeals_event, generate_series(1, %s) n",
                ["7 months", copies],
            )
            conn.execute("VACUUM ANALYZE appeals_event")
            report["events"], report["size"] = conn.execute(
                "SELECT count(*), pg_size_pretty(pg_total_relation_size('appeals_event')) FROM appeals_event"
            ).fetchone()
        log("вторая копия, секционирование по месяцам…")
        admin.execute(f'CREATE DATABASE "{parts}" TEMPLATE "{one}"')
        started = time.monotonic()
        env = {**os.environ, "TSUR_DATABASE_URL": _with_db(url, parts), "TSUR_LOG_LEVEL": "WARNING"}
        subprocess.run([sys.executable, "-m", "tsur", "events", "partition", "--yes"], env=env, check=True, stdout=subprocess.DEVNULL)
        report["convert_seconds"] = round(time.monotonic() - started, 1)
        conns = {"one": psycopg.connect(_with_db(url, one), autocommit=True), "parts": psycopg.connect(_with_db(url, parts), autocommit=True)}
        try:
            report["partitions"] = conns["parts"].execute(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'appeals_event'::regclass"
            ).fetchone()[0]
            appeals = [r[0] for r in conns["one"].execute("SELECT id FROM appeals_appeal ORDER BY id").fetchall()]
            events = [r[0] for r in conns["one"].execute("SELECT id FROM appeals_event ORDER BY id DESC LIMIT 1000").fetchall()]
            report["rows"] = _compare(conns, appeals, events, rounds, per_round, log)
        finally:
            for conn in conns.values():
                conn.close()
    return report


def _compare(conns: dict, appeals: list[int], events: list[int], rounds: int, per_round: int, log: Callable[[str], None]) -> list[dict]:
    times: dict[str, dict[str, list[float]]] = {name: {"one": [], "parts": []} for name in STATEMENTS}
    # Every n-th appeal and event, the same ones on both sides (no randomness between runs).
    pick = {
        "appeal": lambda i: (appeals[(i * 7919) % len(appeals)],),
        "event": lambda i: (events[(i * 31) % len(events)],),
        None: lambda i: (),
    }
    for r in range(rounds):
        log(f"раунд {r + 1} из {rounds}…")
        order = ["one", "parts"] if r % 2 == 0 else ["parts", "one"]
        for name, (sql, param) in STATEMENTS.items():
            for side in order:
                conn = conns[side]
                started = time.perf_counter()
                for i in range(per_round):
                    if sql.startswith("INSERT"):
                        with conn.transaction(force_rollback=True):
                            conn.execute(sql, pick[param](i))
                    else:
                        conn.execute(sql, pick[param](i)).fetchall()
                times[name][side].append((time.perf_counter() - started) / per_round * 1000)
    rows = []
    for name in STATEMENTS:
        one, parts = (statistics.median(times[name][side]) for side in ("one", "parts"))
        rows.append({"statement": name, "one_ms": round(one, 3), "parts_ms": round(parts, 3), "ratio": round(parts / one, 2)})
    return rows


def markdown(report: dict) -> str:
    lines = [
        f"tsur bench partitions: событий {report['events']:,} ({report['size']}), из базы {report['source']} "
        f"и сдвинутых копий: {report['copies']}; секционирование: {report['convert_seconds']} с (с запуском команды), секций: {report['partitions']}",
        "",
        f"Медиана на один запрос, {report['rounds']} раундов × {report['per_round']}, поочерёдно:",
        "",
        "| запрос | одна таблица, мс | секции, мс | отношение |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {r['statement']} | {r['one_ms']:.3f} | {r['parts_ms']:.3f} | {r['ratio']:.2f}× |" for r in report["rows"]]
    return "\n".join(lines)
