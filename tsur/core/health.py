"""Liveness and readiness for load balancers and orchestrators.

`/healthz`: the process answers (no I/O at all: a slow database must not get a live process
killed). `/readyz`: the process can serve — the database answers and every migration this code
knows is applied, the cache answers, the broker answers (when configured), the media folder takes
a file. 200 or 503 with the name of each check and a short reason (an exception's class, a count):
never a host, a URL, a password or a path. Cheap enough to be polled every few seconds: one small
query each for the database and the applied migrations, a cache round trip, a broker PING, a
one-byte file; the migration graph is read from disk once per process.
"""

from __future__ import annotations

import os
import tempfile
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

OK = "ok"
TIMEOUT_SECONDS = 2.0

_known: dict[str, object] = {}
_known_lock = threading.Lock()


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": OK})


def _code_migrations() -> tuple[set[tuple[str, str]], dict[tuple[str, str], list[tuple[str, str]]]]:
    """The migrations on disk (squashed ones by what they replace), read once per process."""
    with _known_lock:
        if "nodes" not in _known:
            loader = MigrationLoader(None, ignore_no_migrations=True)
            _known["nodes"] = set(loader.graph.nodes)
            _known["replaces"] = {key: list(m.replaces) for key, m in loader.disk_migrations.items() if m.replaces}
    return _known["nodes"], _known["replaces"]  # type: ignore[return-value]


def check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return OK


def check_migrations() -> str:
    nodes, replaces = _code_migrations()
    applied = set(MigrationRecorder(connection).applied_migrations())
    missing = [
        key for key in nodes if key not in applied and not (key in replaces and all(r in applied for r in replaces[key]))
    ]
    return OK if not missing else f"{len(missing)} unapplied"


def check_cache() -> str:
    key, value = f"tsur:readyz:{os.getpid()}", uuid.uuid4().hex
    cache.set(key, value, timeout=30)
    return OK if cache.get(key) == value else "value not read back"


_broker: dict[str, redis.Redis] = {}


def check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if not url:
        return "not configured"
    if not url.startswith(("redis://", "rediss://")):
        # Another broker: kombu's own probe.
        with Connection(url, connect_timeout=TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1)
        return OK
    client = _broker.get(url)
    if client is None:
        client = _broker[url] = redis.Redis.from_url(url, socket_connect_timeout=TIMEOUT_SECONDS, socket_timeout=TIMEOUT_SECONDS)
    client.ping()
    return OK


def check_media() -> str:
    folder = Path(settings.MEDIA_ROOT)
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".readyz-", dir=folder)
    try:
        os.write(fd, b"1")
    finally:
        os.close(fd)
        os.unlink(name)
    return OK


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
    "broker": check_broker,
    "media": check_media,
}
# Results that are not failures.
PASSING = frozenset({OK, "not configured"})


def run_checks() -> dict[str, str]:
    results: dict[str, str] = {}
    for name, check in CHECKS.items():
        if name == "migrations" and results.get("database") != OK:
            results[name] = "database unavailable"
            continue
        try:
            results[name] = check()
        except Exception as exc:  # the class only: messages carry hosts, paths and sometimes passwords
            results[name] = f"failed: {type(exc).__name__}"
    return results


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    results = run_checks()
    ready = all(value in PASSING for value in results.values())
    failed = sorted(name for name, value in results.items() if value not in PASSING)
    body = {"status": OK if ready else "unavailable", "checks": results, "failed": failed}
    return JsonResponse(body, status=200 if ready else 503)
