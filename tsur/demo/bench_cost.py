"""What one new appeal costs the whole platform: the CPU time of the web server's processes, the
Celery worker's and PostgreSQL's, per appeal (part of `tsur bench load`).

N appeals are posted one at a time through the running production stack (no concurrency: the cost,
not the queueing), then the stack is left until Celery's queue is empty and none of them is still
"received" (triage done); each process tree's CPU time (user + system, from /proc via psutil)
before and after, divided by N. PostgreSQL's are all the server's processes (the machine is
supposed to be otherwise quiet). CPU time, unlike wall time, hardly depends on what else runs.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import subprocess
import time
import uuid
from collections.abc import Callable

import psutil


def _tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


def _postgres_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL process by pid (backends come and go: only the time spent
    between two readings counts, see _postgres_delta)."""
    out = {}
    for p in psutil.process_iter(["username"]):
        if p.info["username"] == "postgres":
            try:
                t = p.cpu_times()
                out[p.pid] = t.user + t.system
            except psutil.NoSuchProcess:
                pass
    return out


def _postgres_delta(before: dict[int, float], after: dict[int, float]) -> float:
    # A backend that ended in between is lost (its last share is not counted); a new one counts whole.
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def _drain(since: dt.datetime, broker_url: str, timeout: float) -> None:
    from tsur.appeals.models import Appeal, Status

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = Appeal.objects.filter(status=Status.RECEIVED, created_at__gte=since).count()
        if waiting == 0 and _broker_depth(broker_url) == 0:
            return
        time.sleep(1)
    raise RuntimeError(f"the background work did not finish within {timeout:.0f} s")


def _broker_depth(broker_url: str) -> int:
    import redis

    return int(redis.Redis.from_url(broker_url).llen("celery"))


def cost_per_appeal(
    *, count: int, port: int, web: subprocess.Popen, worker: subprocess.Popen, broker_url: str, category: str,
    backlog_since: dt.datetime, log: Callable[[str], None], drain_timeout: float = 600,
) -> dict:
    """Post `count` appeals, wait for their background work, return CPU ms per appeal by process.
    What this stack's earlier steps left queued (appeals created since `backlog_since`, a burst at
    the maximum) is drained first, and not counted."""
    log("стоимость обращения: ждём, пока закончится фоновая работа предыдущих шагов…")
    _drain(backlog_since, broker_url, drain_timeout)
    time.sleep(3)
    pg_before = _postgres_cpu()
    before = {"web": _tree_cpu(web.pid), "celery": _tree_cpu(worker.pid)}
    since = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    for i in range(count):
        body = json.dumps({"text": f"Яма на дороге у дома {i}, машины объезжают по встречной", "category": category,
                           "external_id": str(uuid.uuid4())})  # fmt: skip
        t = time.perf_counter()
        conn.request("POST", "/api/appeals", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter() - t) * 1000)
        if response.status not in (200, 201):
            raise RuntimeError(f"POST /api/appeals answered {response.status}")
    posted = time.monotonic() - started
    log(f"стоимость обращения: {count} отправлено за {posted:.1f} с, ждём фоновую работу…")
    _drain(since, broker_url, drain_timeout)
    time.sleep(2)  # the last task's subscribers
    after = {"web": _tree_cpu(web.pid), "celery": _tree_cpu(worker.pid)}
    pg = _postgres_delta(pg_before, _postgres_cpu())
    latencies.sort()
    return {
        "appeals": count,
        "post_seconds": round(posted, 1),
        "drained_seconds": round(time.monotonic() - started, 1),
        "sequential_p50_ms": round(latencies[len(latencies) // 2], 1),
        "cpu_ms_per_appeal": {
            "web": round(1000 * (after["web"] - before["web"]) / count, 1),
            "celery": round(1000 * (after["celery"] - before["celery"]) / count, 1),
            "postgres": round(1000 * pg / count, 1),
        },
    }


def markdown(cost: dict) -> list[str]:
    cpu = cost["cpu_ms_per_appeal"]
    return [
        "",
        f"CPU per new appeal ({cost['appeals']} posted one at a time in {cost['post_seconds']} s, sequential p50 "
        f"{cost['sequential_p50_ms']} ms; background work done {cost['drained_seconds']} s after the first):",
        "",
        "| web server | Celery worker | PostgreSQL | total |",
        "|---:|---:|---:|---:|",
        f"| {cpu['web']} ms | {cpu['celery']} ms | {cpu['postgres']} ms | {round(sum(cpu.values()), 1)} ms |",
    ]
