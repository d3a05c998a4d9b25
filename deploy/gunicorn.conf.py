"""gunicorn's configuration for tsur (scripts/production starts it: `gunicorn -c deploy/gunicorn.conf.py`).

Sync workers: each request is a short, database-bound unit of work; gevent would need every library
cooperative, and the threads of gthread share one interpreter lock on CPU-bound triage and rendering.
The application is loaded once in the master before forking (preload_app): the workers share the
loaded code and the gc-frozen start-up objects (tsur.wsgi) copy-on-write instead of each loading
its own, and a broken application fails the start instead of every worker in turn.
"""

from __future__ import annotations

import os

from prometheus_client import multiprocess


def _workers() -> int:
    raw = os.environ.get("TSUR_WEB_WORKERS", "").strip()
    if raw and raw != "0":
        return int(raw)
    # gunicorn's usual (2 × cores) + 1, capped: the same machine also runs Celery and PostgreSQL.
    return min(2 * (os.cpu_count() or 1) + 1, 9)


bind = os.environ.get("TSUR_BIND", "127.0.0.1:8000")
workers = _workers()
worker_class = "sync"
preload_app = True
# A sync worker busy longer than this (a stuck query) is killed and replaced.
timeout = int(os.environ.get("TSUR_WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (with jitter, so not all at once): bounds slow leaks.
max_requests = 5000
max_requests_jitter = 500
# The application logs each request itself (tsur.request: route pattern, status, duration, request
# id; never the query string, which may carry keys); gunicorn's own access log would repeat the raw
# path and query.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("TSUR_LOG_LEVEL", "info").lower()
if os.environ.get("TSUR_LOG_FORMAT") == "json":
    # gunicorn's own lines (start, signals, worker timeouts) as JSON too, like the application's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "root": {"level": "INFO", "handlers": []},
        "formatters": {"json": {"()": "tsur.core.logging.JsonFormatter"}},
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"level": loglevel.upper(), "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
    }
# Where a proxy in front may tell the client's scheme (TSUR_PROXY_SSL_HEADER decides whether Django
# trusts it): gunicorn itself trusts forwarded headers only from these addresses.
forwarded_allow_ips = os.environ.get("TSUR_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_fork(server, worker) -> None:
    """Connections opened in the master while loading the application (e.g. a check that touched
    the database) must not be shared by the workers: each opens its own."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()


def child_exit(server, worker) -> None:
    """A dead worker's live gauges leave the metrics (its counters and histograms stay summed)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
