"""Smoke test of the production stack over real HTTP: scripts/production on a fresh PostgreSQL
database with Redis (database 1) as broker and cache, two gunicorn workers, a Celery worker and
beat.

It waits for /readyz, loads the test world (tests/factories.build_world: territories, categories,
organisations, routing rules, named users) into the database, then: a resident submits through
the app API and through the widget form (with its signed form token), the Celery worker takes both
appeals through triage to moderation (polled through the public status API, bounded), the operator
logs in through the login form (CSRF) and opens the queue and the card, /metrics shows the request
counts summed over both web workers and the queue depth, a collected static file comes with a
far-future cache header, the JSON logs carry none of the resident's contacts, and SIGTERM stops
everything within a bound; a role killed on the way is restarted by the supervisor.

Requests carry X-Forwarded-Proto: https, as the TLS proxy in front would (the stack runs with the
production HTTPS settings, so `check --deploy` passes). Skipped with the reason when PostgreSQL or
Redis is not reachable on 127.0.0.1; TSUR_REQUIRE_STACK=1 (CI) makes that a failure. Collected
static files are kept in var/smoke-static between runs (the first collection takes minutes).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.stack

REPO = Path(__file__).resolve().parents[2]
PORTS = range(18100, 18200)
REDIS_URL = "redis://127.0.0.1:6379/1"
START_TIMEOUT = 600  # migrations and, on the first run, collecting static files
TRIAGE_TIMEOUT = 180
STOP_TIMEOUT = 60
PHONE, EMAIL = "+7 916 765-43-21", "smoke.resident@example.org"


def _missing() -> list[str]:
    missing = []
    try:
        import psycopg

        psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", connect_timeout=3).close()
    except Exception as exc:
        missing.append(f"PostgreSQL on 127.0.0.1:5432 ({type(exc).__name__})")
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        missing.append(f"Redis on 127.0.0.1:6379 ({type(exc).__name__})")
    return missing


def _free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free port in 18100-18199")


def _admin_sql(sql: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(sql)


class Browser:
    """requests with its own cookie jar: the stack sets Secure cookies (HTTPS behind the proxy),
    which requests' jar would not send back over the plain-HTTP hop to gunicorn."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}
        self.origin = "https://" + base.split("://", 1)[1]

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        headers = {"X-Forwarded-Proto": "https", "Origin": self.origin, "Referer": self.origin + "/", **kwargs.pop("headers", {})}
        response = requests.request(
            method, self.base + path, headers=headers, cookies=self.cookies, allow_redirects=False, timeout=60, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)


def _wait(predicate, timeout: float, what: str, proc: subprocess.Popen, every: float = 1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"scripts/production exited ({proc.returncode}) while waiting for {what}")
        with contextlib.suppress(requests.RequestException):
            value = predicate()
            if value:
                return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _child(parent: int, word: str) -> int | None:
    """The pid of the parent's child process whose command line contains `word`."""
    for pid in subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout.split():
        with contextlib.suppress(OSError):
            if word in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode():
                return int(pid)
    return None


def _metric(text: str, name: str, **labels: str) -> float | None:
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return None


def test_it_serves_the_platform_in_production_mode(tmp_path):
    missing = _missing()
    if missing:
        if os.environ.get("TSUR_REQUIRE_STACK") == "1":
            pytest.fail(f"TSUR_REQUIRE_STACK=1 but not available: {', '.join(missing)}")
        pytest.skip(f"needs {', '.join(missing)}")

    database = f"tsur_prod_smoke_{os.getpid()}"
    port = _free_port()
    settings = {
        "TSUR_SECRET_KEY": "smoke-test-only-" + os.urandom(24).hex(),
        "TSUR_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "TSUR_SITE_URL": f"https://127.0.0.1:{port}",
        "TSUR_DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
        "TSUR_CELERY_BROKER_URL": REDIS_URL,
        "TSUR_CACHE_URL": REDIS_URL,
        "TSUR_VAR_DIR": str(tmp_path / "var"),
        "TSUR_STATIC_ROOT": str(REPO / "var" / "smoke-static"),
        "TSUR_BIND": f"127.0.0.1:{port}",
        "TSUR_WEB_WORKERS": "2",
        "TSUR_WORKER_CONCURRENCY": "1",
        "TSUR_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "TSUR_STOP_TIMEOUT": "30",
    }
    env_file = tmp_path / "production.env"
    env_file.write_text("# smoke test\n" + "".join(f"{k}='{v}'\n" for k, v in settings.items()), encoding="utf-8")
    # Nothing of the test suite's own environment (tests.settings, its secret key) leaks in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TSUR_", "DJANGO_", "PROMETHEUS_"))}
    log_path = tmp_path / "stack.log"

    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()  # database 1 is this test's: no messages of an earlier run
    _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _admin_sql(f'CREATE DATABASE "{database}"')
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["scripts/production", "--env-file", str(env_file)], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        web = Browser(f"http://127.0.0.1:{port}")
        _wait(lambda: web.get("/readyz").status_code == 200, START_TIMEOUT, "/readyz", proc, every=2)
        ready = web.get("/readyz").json()
        assert ready["checks"] == {"database": "ok", "migrations": "ok", "cache": "ok", "broker": "ok", "media": "ok"}
        assert web.get("/healthz").json() == {"status": "ok"}

        subprocess.run(
            [sys.executable, "-c", "import django; django.setup(); from tests.factories import build_world; build_world()"],
            cwd=REPO, env={**env, **settings, "DJANGO_SETTINGS_MODULE": "tsur.settings", "TSUR_LOG_LEVEL": "WARNING"},
            check=True, timeout=300,
        )  # fmt: skip

        # A resident submits through the app API …
        sent = web.post(
            "/api/appeals",
            json={"text": "Большая яма на дороге у остановки, машины бьют колёса", "category": "pothole", "territory": "district",
                  "address": "с. Село, ул. Центральная, 1", "name": "Пётр Смоков", "phone": PHONE, "email": EMAIL},
        )  # fmt: skip
        assert sent.status_code == 201, sent.text
        api_appeal = sent.json()
        # … and through the widget form.
        page = web.get("/widget/")
        assert page.status_code == 200
        token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)
        form = web.post(
            "/widget/",
            data={"form_token": token, "text": "Не вывозят мусор во дворе уже неделю", "category": "garbage", "territory": "city",
                  "address": "ул. Школьная, 3", "name": "Пётр Смоков", "email": EMAIL, "phone": PHONE, "consent": "1"},
        )  # fmt: skip
        assert form.status_code == 302, form.text[:2000]
        number, key = re.match(r"^/widget/done/([^/]+)/([^/]+)/$", form.headers["Location"]).groups()

        # Celery takes both through the intake follow-up (triage, then moderation).
        for n, k in ((api_appeal["number"], api_appeal["access_key"]), (number, key)):
            _wait(
                lambda n=n, k=k: web.get(f"/api/public/appeals/{n}", params={"key": k}).json().get("status") == "moderation",
                TRIAGE_TIMEOUT, f"appeal {n} in moderation", proc, every=2,
            )  # fmt: skip

        # The operator logs in through the form and works the queue.
        login = web.get("/accounts/login/")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text).group(1)
        done = web.post("/accounts/login/", data={"csrfmiddlewaretoken": csrf, "username": "operator", "password": "pass-12345"})
        assert done.status_code == 302 and done.headers["Location"] == "/workspace/", done.text[:2000]
        queue = web.get("/workspace/")
        assert queue.status_code == 200 and api_appeal["number"] in queue.text and number in queue.text
        card = web.get(f"/workspace/appeals/{number}/")
        assert card.status_code == 200 and number in card.text

        # A collected static file: content-hashed name, far-future cache header.
        asset = re.search(r'src="(/static/[^"]+\.[0-9a-f]{12}\.js)"', page.text)
        assert asset, "the widget names its scripts by their hashed names"
        static = web.get(asset.group(1))
        assert static.status_code == 200
        assert "max-age=315360000" in static.headers["Cache-Control"] and "immutable" in static.headers["Cache-Control"]

        # Metrics: the requests of both workers summed, and the queues.
        scraped = web.get("/metrics")
        assert scraped.status_code == 200
        text = scraped.text
        posted = _metric(text, "tsur_http_request_duration_seconds_count", route="/api/appeals", method="POST", status="2xx")
        assert posted == 1.0
        polls = _metric(text, "tsur_http_request_duration_seconds_count", route="/api/public/appeals/<number>", method="GET", status="2xx")
        assert polls is not None and polls >= 2
        assert _metric(text, "tsur_queue_depth", queue="intake.received") == 0.0
        assert _metric(text, "tsur_queue_depth", queue="channels.inbound") == 0.0
        assert _metric(text, "tsur_metrics_source_up", source="overdue") == 1.0
        assert web.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 404

        # A role that dies is restarted by the supervisor, and the restart is logged.
        beat = _child(proc.pid, "beat")
        os.kill(beat, signal.SIGKILL)
        _wait(
            lambda: f"beat (pid {beat}) exited with status 137; restarting in 1 s" in log_path.read_text(errors="replace")
            and _child(proc.pid, "beat") not in (None, beat),
            60, "beat restarted", proc,
        )  # fmt: skip

        # SIGTERM stops every role cleanly, within the bound.
        started = time.monotonic()
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=STOP_TIMEOUT) == 0
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, 0)  # nothing of its process group is left
        print(f"stopped in {time.monotonic() - started:.1f} s")

        logs = log_path.read_text(encoding="utf-8", errors="replace")
        request_lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{") and '"tsur.request"' in line]
        assert any(r["route"] == "/api/appeals" and r["status"] == 201 for r in request_lines)
        for value in (PHONE, "9167654321", EMAIL, "Смоков", key):
            assert value not in logs, value
    except BaseException:
        print("--- tail of the stack's log ---")
        print("\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-80:]))
        raise
    finally:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # a role left behind by a failed stop
        with contextlib.suppress(Exception):
            _admin_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
