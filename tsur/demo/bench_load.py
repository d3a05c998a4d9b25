"""`tsur bench load`: the platform under HTTP load, through the production web server.

One run, everything printed:

1. Prepares the scratch PostgreSQL database: migrations, the demo's reference data and users (known
   passwords), `count` appeals (tsur.demo.bench_workspace.fill; kept between runs).
2. In this process (Django's test client, no server): per intake path (the API with and without a
   key, the widget's POST, Open311's POST) the statements per request and the median server time.
3. Starts the production stack — the web server (deploy/gunicorn.conf.py, or granian with the flags
   of scripts/production) and a Celery worker on Redis — bounded: every process is stopped at the
   end, also on error or Ctrl-C.
4. At the maximum (wrk, `connections` connections): the bare Django Ninja endpoint
   (tsur.core.bench_api, no database) and POST /api/appeals, side by side in the same run and
   server: req/s, p50/p95/p99, errors, and the intake/bare ratio; for gunicorn and for granian, and
   the intake under the embedded default (no broker: tasks on the in-process runner).
5. The Locust scenario (loadtest/locustfile.py) at constant rising rates: per step and endpoint the
   achieved req/s, p50/p95/p99 and failures.

The intake's rate limits are raised so one client address may post this much: still counted (their
cost is in the figures), never reached. Only figures are printed: no appeal text or person.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

REPO = Path(settings.BASE_DIR)
VENV_BIN = Path(sys.executable).parent
WRK = shutil.which("wrk") or "/usr/bin/wrk"

# Quick: about two minutes on two cores; full: under ten.
MODES = {
    "quick": {"steps": [50, 100, 200], "step_seconds": 15, "wrk_seconds": 8, "count": 5_000, "cost_appeals": 100},
    "full": {"steps": [50, 100, 200, 300], "step_seconds": 45, "wrk_seconds": 20, "count": 20_000, "cost_appeals": 300},
}
# The Celery worker's niceness, as scripts/production's default TSUR_WORKER_NICE.
WORKER_NICE = 10
# Locust: task iterations per simulated user per second (the users per step follow from it).
ITERATIONS_PER_USER = 1.0
KEY_ROWS = [
    "/api/appeals [POST]",
    "/widget/ [POST]",
    "/open311/v2/requests.json [POST]",
    "/workspace/ [queue]",
    "/workspace/appeals/<n>/",
    "Aggregated",
]

WRK_SCRIPT = """
local n = 0
local body_of = function(i)
  return '{"text": "Яма на дороге у дома ' .. i .. ', машины объезжают", "category": "%(category)s"}'
end
request = function()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body_of(n))
end
done = function(summary, latency, requests)
  io.write(string.format('WRK {"requests": %%d, "seconds": %%.3f, "p50": %%.2f, "p95": %%.2f, "p99": %%.2f, "non2xx": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


def run_bench(options: dict, log: Callable[[str], None]) -> dict:
    from django.core.management import call_command

    from loadtest import scenario
    from tsur.demo.bench_cost import cost_per_appeal
    from tsur.demo.bench_workspace import fill

    mode = dict(MODES["quick" if options["quick"] else "full"])
    count = options["count"] or mode["count"]
    call_command("migrate", verbosity=0)
    fill(count, log)
    report: dict = {"mode": "quick" if options["quick"] else "full", "appeals": count, "machine": _machine()}
    log("профиль приёма в процессе (тестовый клиент)…")
    report["in_process"] = profile_intake(runs=10 if options["quick"] else 40)
    log("стоимость запросов сценария для процессора веб-сервера (в процессе)…")
    report["budget"] = scenario_budget(runs=5 if options["quick"] else 15)
    port = options["port"]
    workers = options["workers"]
    stack = Stack(port=port, workers=workers, log=log)
    category = _category()
    report["settings"] = stack.describe()
    report["max"] = []
    report["steps"] = []
    seconds = mode["wrk_seconds"]
    for server in ("gunicorn", "granian"):
        stack_started = dt.datetime.now(dt.UTC)
        with stack.running(server=server, broker=True):
            for target in ("bare", "intake"):
                log(f"{server}: {target} на максимуме ({seconds} с)…")
                report["max"].append(
                    {"server": server, "tasks": "celery", "endpoint": target, **wrk(port, target, seconds, options["connections"], category)}
                )
            if server == "gunicorn":
                log("gunicorn: стоимость одного обращения (ЦП всех процессов)…")
                web, worker = stack.processes[0], stack.processes[1]
                report["cost"] = cost_per_appeal(
                    count=mode["cost_appeals"], port=port, web=web, worker=worker, broker_url=stack.broker, category=category,
                    backlog_since=stack_started, log=log,
                )
                # Staff signed in once for all steps, as operators sign in once a shift.
                sessions = json.dumps(scenario.sign_in(f"http://127.0.0.1:{port}", scenario.OPERATORS + scenario.ANALYSTS))
                for rate in mode["steps"]:
                    log(f"{server}: сценарий Locust, {rate} запр/с ({mode['step_seconds']} с)…")
                    rows = locust_step(port, rate, mode["step_seconds"], sessions=sessions)
                    report["steps"].append({"server": server, "target": rate, "rows": rows})
    with stack.running(server="gunicorn", broker=False):
        log("gunicorn без брокера (встроенный режим): intake на максимуме…")
        report["max"].append(
            {"server": "gunicorn", "tasks": "in-process", "endpoint": "intake", **wrk(port, "intake", seconds, options["connections"], category)}
        )
    return report


# --- the in-process profile -----------------------------------------------------------------------


def profile_intake(runs: int) -> list[dict]:
    """Statements and median server time per request of each intake path, through Django's test
    client in this process (no server, no network: what the request itself costs). The follow-ups
    run on the background runner, as in production, and are waited for between the timed requests,
    so they neither count nor slow the next request."""
    import uuid

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from loadtest import scenario
    from tsur.core import tasks
    from tsur.demo.loader import DEMO_API_KEY

    category, service = _category(), _service_code()
    client = Client()
    key = {"HTTP_AUTHORIZATION": f"Bearer {DEMO_API_KEY}"}

    def api(i: int, headers: dict) -> Callable[[], int]:
        body = {"text": f"Яма на дороге у дома {i}", "category": category, "name": "Тестовый Житель", "external_id": str(uuid.uuid4())}
        return lambda: client.post("/api/appeals", body, content_type="application/json", REMOTE_ADDR="10.9.0.1", **headers).status_code

    def widget(i: int, headers: dict) -> Callable[[], int]:
        token = scenario.form_token(client.get("/widget/").content.decode())  # the page's signed token, not timed
        data = {"form_token": token, "text": f"Не вывозят мусор у дома {i}", "category": category}
        return lambda: client.post("/widget/", data, REMOTE_ADDR="10.9.0.2").status_code

    def open311(i: int, headers: dict) -> Callable[[], int]:
        data = {"api_key": DEMO_API_KEY, "service_code": service, "description": f"Не горят фонари у дома {i}", "address_string": "ул. Ленина, 5"}
        return lambda: client.post("/open311/v2/requests.json", data, REMOTE_ADDR="10.9.0.3").status_code

    paths = [
        ("POST /api/appeals", api, {}),
        ("POST /api/appeals (API key)", api, key),
        ("POST /widget/", widget, {}),
        ("POST /open311/v2/requests.json", open311, {}),
    ]
    out = []
    for label, prepare, headers in paths:
        prepare(0, headers)()  # warm
        tasks.runner().wait_idle(120)
        send = prepare(1, headers)
        with CaptureQueriesContext(connection) as queries:
            status = send()
        statements = len(queries.captured_queries)  # now: the next request's start clears the log
        times = []
        for i in range(runs):
            send = prepare(2 + i, headers)
            tasks.runner().wait_idle(120)
            t = time.perf_counter()
            send()
            times.append((time.perf_counter() - t) * 1000)
        out.append({"path": label, "status": status, "statements": statements, "median_ms": round(statistics.median(times), 1)})
    tasks.runner().wait_idle(120)
    return out


def scenario_budget(runs: int) -> dict:
    """The web CPU of each kind of the scenario's requests, as the demo's users
    (tsur.demo.bench_budget)."""
    from loadtest import scenario
    from tsur.demo.bench_budget import mix_budget
    from tsur.demo.loader import DEMO_API_KEY

    return mix_budget(runs=runs, operator=scenario.OPERATORS[0], analyst=scenario.ANALYSTS[0], api_key=DEMO_API_KEY)


def _category() -> str:
    from tsur.directory.models import Category

    category = Category.objects.filter(is_active=True, is_public=True).order_by("pk").first()
    return category.code if category else ""


def _service_code() -> str:
    from tsur.directory.models import Category

    category = Category.objects.filter(is_active=True, is_public=True).order_by("pk").first()
    return category.service_code if category else ""


def _machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cores": os.cpu_count(), "load_average_1m": round(load[0], 2), "python": sys.version.split()[0]}


# --- the stack ------------------------------------------------------------------------------------


class Stack:
    """The web server and a Celery worker as the production runs them, on loopback, bounded."""

    def __init__(self, *, port: int, workers: int, log: Callable[[str], None]) -> None:
        self.port, self.workers, self.log = port, workers, log
        self.broker = os.environ.get("TSUR_BENCH_BROKER_URL", "redis://127.0.0.1:6379/3")
        self.cache = os.environ.get("TSUR_BENCH_CACHE_URL", "redis://127.0.0.1:6379/4")

    def describe(self) -> dict:
        return {
            "web_workers": self.workers,
            "gunicorn": "deploy/gunicorn.conf.py (sync workers, preload)" if (REPO / "deploy" / "gunicorn.conf.py").exists() else "sync workers",
            "granian": f"--interface wsgi --workers {self.workers} --blocking-threads 1",
            "celery_worker": f"concurrency 1, niceness {WORKER_NICE} (as scripts/production)",
            "broker": self.broker,
            "cache": self.cache,
            "database": "PostgreSQL (TSUR_DATABASE_URL)",
        }

    def env(self, *, broker: bool) -> dict:
        return {
            **os.environ,
            "TSUR_BIND": f"127.0.0.1:{self.port}",
            "TSUR_WEB_WORKERS": str(self.workers),
            "TSUR_CACHE_URL": self.cache,
            "TSUR_CELERY_BROKER_URL": self.broker if broker else "",
            "TSUR_BENCH_ENDPOINTS": "1",
            "TSUR_RATE_INTAKE_ANONYMOUS": "10000000/m",
            "TSUR_RATE_INTAKE_KEY": "10000000/m",
            "TSUR_LOG_LEVEL": "WARNING",
            "TSUR_LOG_FORMAT": "plain",
            "TSUR_TASKS_INLINE": "false",
            "TSUR_SSL_REDIRECT": "false",
            "TSUR_HTTPS": "false",
            "OPENBLAS_NUM_THREADS": "1",
        }

    def web_command(self, server: str) -> list[str]:
        if server == "granian":
            return [str(VENV_BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(self.port),
                    "--workers", str(self.workers), "--blocking-threads", "1", "--no-access-log", "tsur.wsgi:application"]  # fmt: skip
        conf = REPO / "deploy" / "gunicorn.conf.py"
        if conf.exists():
            return [str(VENV_BIN / "gunicorn"), "-c", str(conf), "tsur.wsgi:application"]
        return [str(VENV_BIN / "gunicorn"), "--workers", str(self.workers), "--bind", f"127.0.0.1:{self.port}", "--preload", "tsur.wsgi:application"]

    @contextmanager
    def running(self, *, server: str, broker: bool) -> Iterator[None]:
        env = self.env(broker=broker)
        _flush_redis(self.broker, self.cache)
        processes = []
        try:
            processes.append(_start(self.web_command(server), env))
            self.processes = processes
            if broker:
                worker = ["nice", "-n", str(WORKER_NICE), str(VENV_BIN / "celery"), "-A", "tsur", "worker",
                          "--concurrency", "1", "--loglevel", "WARNING",
                          "--without-heartbeat", "--without-gossip", "--without-mingle", "--hostname", f"bench-load-{os.getpid()}@%h"]  # fmt: skip
                processes.append(_start(worker, env, autogroup_nice=WORKER_NICE))
            _wait_ready(self.port, processes[0], timeout=120)
            yield
        finally:
            for process in reversed(processes):
                _stop(process)


def _start(argv: list[str], env: dict, *, autogroup_nice: int = 0) -> subprocess.Popen:
    """Start a process in a session of its own (stopped with its children by `_stop`).

    `autogroup_nice`: Linux's scheduler autogroups give every session an equal share of the
    processors whatever its processes' niceness, so the worker's `nice` only counted inside its own
    session. scripts/production starts every role in one session, where it holds; here each
    process has its own, so the worker's session gets the niceness too, as in production."""

    def lower_session_priority() -> None:
        try:
            with open("/proc/self/autogroup", "w") as autogroup:
                autogroup.write(str(autogroup_nice))
        except OSError:  # no autogroups (another kernel, or switched off): plain niceness holds
            pass

    return subprocess.Popen(
        argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True, text=True,
        preexec_fn=lower_session_priority if autogroup_nice else None,
    )  # fmt: skip


def _stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_ready(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the web server exited with {process.returncode}: {(process.stderr.read() if process.stderr else '')[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/bench/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the web server did not answer on port {port} within {timeout:.0f} s")


def _flush_redis(*urls: str) -> None:
    """Start every configuration empty: no queue left by an earlier run, no rate-limit counters."""
    import redis

    for url in urls:
        redis.Redis.from_url(url).flushdb()


# --- the load generators ------------------------------------------------------------------------


def wrk(port: int, target: str, seconds: int, connections: int, category: str) -> dict:
    """POST at the maximum with wrk (2 threads): the bare endpoint or the intake."""
    path = "/bench/appeals" if target == "bare" else "/api/appeals"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"category": category})
    try:
        argv = [WRK, "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name, f"http://127.0.0.1:{port}{path}"]
        out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60).stdout
    finally:
        os.unlink(script.name)
    line = next((line for line in out.splitlines() if line.startswith("WRK ")), None)
    if line is None:
        return {"error": out[-500:]}
    figures = json.loads(line[4:])
    return {
        "rps": round(figures["requests"] / figures["seconds"], 1) if figures["seconds"] else 0.0,
        "p50_ms": round(figures["p50"], 1),
        "p95_ms": round(figures["p95"], 1),
        "p99_ms": round(figures["p99"], 1),
        "failures": figures["non2xx"] + figures["errors"],
        "requests": figures["requests"],
    }


def users_for(rate: float) -> int:
    """Simulated users that offer `rate` requests a second, by the scenario's mix."""
    from loadtest import scenario

    total = sum(scenario.WEIGHTS.values())
    per_iteration = sum(w * scenario.REQUESTS_PER_ITERATION[name] for name, w in scenario.WEIGHTS.items()) / total
    return max(1, math.ceil(rate / (per_iteration * ITERATIONS_PER_USER)))


def locust_step(port: int, rate: int, seconds: int, *, sessions: str = "") -> list[dict]:
    """One constant-rate step of the scenario; the key endpoints' rows of Locust's statistics.
    `sessions`: staff sessions signed in before (scenario.SESSIONS_ENV), else each staff user signs in."""
    from loadtest import scenario

    users = users_for(rate)
    with tempfile.TemporaryDirectory(prefix="tsur-locust-") as folder:
        prefix = str(Path(folder) / "step")
        argv = [str(VENV_BIN / "locust"), "-f", str(REPO / "loadtest" / "locustfile.py"), "--headless", "--only-summary",
                "-u", str(users), "-r", str(max(1, users // 3)), "--run-time", f"{seconds}s", "--stop-timeout", "5",
                "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--loglevel", "WARNING"]  # fmt: skip
        env = {**os.environ, "TSUR_LOAD_ITERATIONS_PER_USER": str(ITERATIONS_PER_USER), "PYTHONPATH": str(REPO), scenario.SESSIONS_ENV: sessions}
        subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, timeout=seconds + 120)
        stats = Path(f"{prefix}_stats.csv")
        rows = list(csv.DictReader(stats.open(encoding="utf-8"))) if stats.exists() else []
    out = []
    for row in rows:
        if row["Name"] not in KEY_ROWS:
            continue
        out.append({
            "endpoint": row["Name"],
            "users": users,
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": _ms(row.get("50%")),
            "p95_ms": _ms(row.get("95%")),
            "p99_ms": _ms(row.get("99%")),
            "failures": int(row["Failure Count"]),
            "requests": int(row["Request Count"]),
        })  # fmt: skip
    return sorted(out, key=lambda r: KEY_ROWS.index(r["endpoint"]))


def _ms(value: str | None) -> float | None:
    return None if value in (None, "", "N/A") else float(value)


# --- the printout ---------------------------------------------------------------------------------


def markdown(report: dict) -> str:
    from tsur.demo.bench_budget import markdown as budget_markdown
    from tsur.demo.bench_cost import markdown as cost_markdown

    lines = [f"tsur bench load ({report['mode']}): {report['appeals']} appeals; machine {report['machine']}", ""]
    lines += ["Server settings: " + "; ".join(f"{k}: {v}" for k, v in report["settings"].items()), ""]
    lines += [
        "In-process intake (Django test client; follow-ups on the background runner, not timed):",
        "",
        "| path | statements | median ms |",
        "|---|---:|---:|",
    ]
    lines += [f"| {r['path']} | {r['statements']} | {r['median_ms']} |" for r in report["in_process"]]
    if report.get("budget"):
        lines += budget_markdown(report["budget"])
    lines += [
        "",
        "Maximum throughput (wrk, POST):",
        "",
        "| server | tasks | endpoint | req/s | p50 ms | p95 ms | p99 ms | failures |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["max"]:
        lines.append(_row([r["server"], r["tasks"], r["endpoint"], *(r.get(k) for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "failures"))]))
    lines.append("")
    for server in ("gunicorn", "granian"):
        rows = {r["endpoint"]: r for r in report["max"] if r["server"] == server and r["tasks"] == "celery"}
        if rows.get("bare", {}).get("rps") and rows.get("intake", {}).get("rps") is not None:
            lines.append(f"intake/bare on {server}: {100 * rows['intake']['rps'] / rows['bare']['rps']:.1f} %")
    by_server = {r["server"]: r for r in report["max"] if r["tasks"] == "celery" and r["endpoint"] == "intake" and r.get("rps")}
    bare = {r["server"]: r for r in report["max"] if r["tasks"] == "celery" and r["endpoint"] == "bare" and r.get("rps")}
    if len(by_server) == 2 and len(bare) == 2:
        ratio_bare = bare["granian"]["rps"] / bare["gunicorn"]["rps"]
        ratio_intake = by_server["granian"]["rps"] / by_server["gunicorn"]["rps"]
        lines.append(f"granian/gunicorn req/s: bare {ratio_bare:.2f}×, intake {ratio_intake:.2f}×")
    lines += [
        "",
        "Locust scenario at constant rates (gunicorn, Celery):",
        "",
        "| target req/s | users | endpoint | req/s | p50 ms | p95 ms | p99 ms | failures |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for step in report["steps"]:
        for r in step["rows"]:
            lines.append(_row([step["target"], *(r[k] for k in ("users", "endpoint", "rps", "p50_ms", "p95_ms", "p99_ms", "failures"))]))
    if report.get("cost"):
        lines += cost_markdown(report["cost"])
    return "\n".join(lines)


def _row(cells: list) -> str:
    return "| " + " | ".join("—" if c is None else str(c) for c in cells) + " |"
