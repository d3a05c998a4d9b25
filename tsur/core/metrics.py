"""Prometheus metrics: what the processes count, and what the database holds, read at scrape time.

Counted in the processes: the latency of every request (by route pattern, method and status
class: never a raw path, which may carry a status link's token) and the Celery tasks that raised.
Under gunicorn (several worker processes) and Celery, `PROMETHEUS_MULTIPROC_DIR` names a folder
all processes write their values into (scripts/production makes it fresh at every start) and a
scrape adds them up.

Read from the database: queue depth and the age of the oldest item of every piece of background
work recorded there, rows in failed states, overdue appeals, channel health. The apps' sources are
registered with `source()` by the entry point (tsur.urls), since core knows no app. Their values
are computed by one process at most every `DB_CACHE_SECONDS` and shared through the cache, so a
scrape every few seconds costs a cache read. No label carries personal data: queue names, channel
codes, regimes and statuses are configuration.

Access: `Authorization: Bearer <TSUR_METRICS_TOKEN>`, or a client address in TSUR_METRICS_ALLOW
(loopback by default); anyone else gets a 404, as if there were nothing here.
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from celery.signals import task_failure
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import GaugeMetricFamily

from tsur.core import clock
from tsur.core.clients import client_ip

log = logging.getLogger(__name__)

DB_CACHE_SECONDS = 15
_CACHE_KEY = "tsur:metrics:database"
_LOCK_KEY = "tsur:metrics:database:lock"

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_LATENCY = Histogram(
    "tsur_http_request_duration_seconds",
    "Time from the request entering the application to its response, by route pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
TASK_FAILURES = Counter("tsur_task_failures_total", "Celery tasks that raised, by task name.", ["task"])


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    REQUEST_LATENCY.labels(route=route, method=method if method in METHODS else "OTHER", status=f"{status // 100}xx").observe(seconds)


@task_failure.connect
def _count_task_failure(sender: object = None, **kwargs: object) -> None:
    TASK_FAILURES.labels(task=getattr(sender, "name", None) or "unknown").inc()


# --- values read from the database -----------------------------------------------------------------

# Family name -> (help, label names). Families whose name ends in "_seconds" grow with time: a value
# served from the cache is aged by the time since it was computed.
FAMILIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "tsur_queue_depth": ("Items of background work recorded in the database and not yet done.", ("queue",)),
    "tsur_queue_oldest_age_seconds": ("Age of the oldest item waiting in the queue (0 when empty).", ("queue",)),
    "tsur_work_failed": ("Rows of background work in a failed state (need an operator).", ("queue",)),
    "tsur_appeals_overdue": ("Open appeals past their due time.", ("regime", "status")),
    "tsur_channel_enabled": ("Whether the channel is enabled (1) or not (0).", ("channel",)),
    "tsur_channel_seconds_since_poll": ("Seconds since the channel's last successful poll (-1: never).", ("channel",)),
    "tsur_channel_consecutive_errors": ("Failed polls of the channel in a row.", ("channel",)),
    "tsur_metrics_source_up": ("Whether the source's values could be read at the last computation.", ("source",)),
}


@dataclass(frozen=True)
class Sample:
    family: str
    labels: tuple[tuple[str, str], ...]
    value: float


Source = Callable[[dt.datetime], Iterable[Sample]]
_SOURCES: dict[str, Source] = {}


def source(name: str) -> Callable[[Source], Source]:
    """Register `fn(now) -> samples` as a database source of /metrics under `name`."""

    def register(fn: Source) -> Source:
        _SOURCES[name] = fn
        return fn

    return register


def sample(family: str, value: float, **labels: str) -> Sample:
    if family not in FAMILIES:
        raise ValueError(f"unknown metric family {family!r}")
    return Sample(family, tuple(sorted(labels.items())), float(value))


def queue_samples(name: str, waiting: QuerySet, since: str, now: dt.datetime) -> list[Sample]:
    """Depth and the oldest item's age of one queue, in one query."""
    row = waiting.aggregate(n=Count("pk"), oldest=Min(since))
    age = max(0.0, (now - row["oldest"]).total_seconds()) if row["oldest"] else 0.0
    return [sample("tsur_queue_depth", row["n"], queue=name), sample("tsur_queue_oldest_age_seconds", age, queue=name)]


def queue(name: str, waiting: Callable[[], QuerySet], since: str) -> None:
    """Register a queue of work recorded in the database: `waiting()` selects what waits, `since`
    is the field its age counts from. Each app registers its own in its tasks module."""
    source(f"queue:{name}")(lambda now: queue_samples(name, waiting(), since, now))


def failed(name: str, rows: Callable[[], QuerySet]) -> None:
    """Register the rows of a queue that gave up (a failed state): `tsur_work_failed{queue=name}`."""
    source(f"failed:{name}")(lambda now: [sample("tsur_work_failed", rows().count(), queue=name)])


def compute_database_samples(now: dt.datetime) -> list[Sample]:
    """Every registered source once; a source that fails is reported down and the others still count."""
    out: list[Sample] = []
    for name, fn in _SOURCES.items():
        try:
            got = list(fn(now))
        except Exception as exc:
            log.warning("metrics source %s failed: %s", name, type(exc).__name__)
            out.append(sample("tsur_metrics_source_up", 0, source=name))
            continue
        out.extend(got)
        out.append(sample("tsur_metrics_source_up", 1, source=name))
    return out


def database_samples() -> tuple[list[Sample], float]:
    """The cached samples and their age in seconds; recomputed by the one process that takes the
    lock when they are older than DB_CACHE_SECONDS (the others serve the previous values meanwhile)."""
    cached = cache.get(_CACHE_KEY)
    now = time.time()
    if cached is not None and now - cached[0] < DB_CACHE_SECONDS:
        return cached[1], now - cached[0]
    if cached is not None and not cache.add(_LOCK_KEY, 1, timeout=60):
        return cached[1], now - cached[0]
    try:
        samples = compute_database_samples(clock.now())
        cache.set(_CACHE_KEY, (time.time(), samples), timeout=DB_CACHE_SECONDS * 20)
    finally:
        cache.delete(_LOCK_KEY)
    return samples, 0.0


class DatabaseCollector:
    """A prometheus_client collector over `database_samples`."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        samples, age = database_samples()
        families: dict[str, GaugeMetricFamily] = {}
        for s in samples:
            if s.family not in families:
                help_text, label_names = FAMILIES[s.family]
                families[s.family] = GaugeMetricFamily(s.family, help_text, labels=list(label_names))
            value = s.value + age if s.family.endswith("_age_seconds") or (s.family.endswith("_since_poll") and s.value >= 0) else s.value
            labels = dict(s.labels)
            families[s.family].add_metric([labels.get(n, "") for n in FAMILIES[s.family][1]], value)
        yield from families.values()


# --- the endpoint ----------------------------------------------------------------------------------


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(item, strict=False) for item in settings.TSUR_METRICS_ALLOW]


def may_scrape(request: HttpRequest) -> bool:
    """The bearer token, or an allowed client address. A request that came through a proxy the
    settings do not declare (X-Forwarded-For present, TSUR_PROXY_COUNT 0) is not judged by its
    address: a proxy on this host would otherwise make every visitor loopback."""
    token = settings.TSUR_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    if settings.TSUR_PROXY_COUNT <= 0 and request.META.get("HTTP_X_FORWARDED_FOR"):
        return False
    address = client_ip(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in _allowed_networks())


def render() -> bytes:
    """The exposition text: the processes' values (all of them under a multiprocess folder) and the
    database's."""
    db = CollectorRegistry(auto_describe=False)
    db.register(DatabaseCollector())  # type: ignore[arg-type]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        return generate_latest(processes) + generate_latest(db)
    return generate_latest(REGISTRY) + generate_latest(db)


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        raise Http404
    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
