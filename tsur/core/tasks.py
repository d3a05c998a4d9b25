"""Background work, knowing no app: each app registers its own tasks (`background`) and periodic
jobs (`periodic`) in its tasks module, which its AppConfig imports.

The database is the source of truth: every task re-reads its rows, claims them with a conditional
update and can run twice safely; the periodic jobs of `tick` sweep up whatever a lost queue
message left behind. Without a broker (the embedded default) tasks run in-process right after
the transaction commits, and an in-process scheduler runs `tick`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections

from tsur.core import clock

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])
PeriodicJob = Callable[[dt.datetime], Any]

_TASKS: dict[str, Any] = {}
_PERIODIC: dict[str, PeriodicJob] = {}

# A sweeper takes work recorded this long ago with nothing done about it for lost (its queue
# message gone with a broker restart) and enqueues it again, at most this many rows per tick.
LOST_AFTER = dt.timedelta(minutes=1)
REQUEUE_AT_MOST = 500

# Work for a batch travels in messages of at most this many ids: a broker round trip per message
# costs about as much as creating an appeal, while several workers can still share a large batch.
IDS_PER_MESSAGE = 25


def background(name: str, **options: Any) -> Callable[[F], F]:
    """Register `fn` as the Celery task `name` (acks late: a worker that dies mid-task leaves the
    message for another). Enqueue it with `enqueue(name, …)`."""

    def register(fn: F) -> F:
        if name in _TASKS:
            raise ValueError(f"background task {name!r} is registered twice")
        task = shared_task(name=f"{fn.__module__}.{fn.__name__}", acks_late=True, **options)(fn)
        _TASKS[name] = task
        return task

    return register


def periodic(name: str) -> Callable[[PeriodicJob], PeriodicJob]:
    """Register `job(now)` to run at every `tick`; what it returns is reported under `name`."""

    def register(job: PeriodicJob) -> PeriodicJob:
        _PERIODIC[name] = job
        return job

    return register


def task(name: str) -> Any:
    return _TASKS[name]


def registered() -> dict[str, Any]:
    """Every registered background task by its short name."""
    return dict(_TASKS)


def periodic_jobs() -> dict[str, PeriodicJob]:
    return dict(_PERIODIC)


@shared_task(name="tsur.core.tasks.tick")
def tick() -> dict:
    """Every periodic job once (beat calls it every minute). One failing job is logged and does not
    stop the others: each is idempotent and runs again at the next tick."""
    now = clock.now()
    result: dict[str, Any] = {}
    for name, job in _PERIODIC.items():
        try:
            result[name] = job(now)
        except Exception:
            log.exception("periodic job %s failed; it runs again at the next tick", name)
            result[name] = "failed"
    return result


def enqueue(name: str, *args: object) -> None:
    """Run in-process (embedded default) or send to Celery. Never raises: the row in the database
    is the record of the work, and a periodic job re-enqueues it if this attempt is lost."""
    try:
        t = _TASKS[name]
        if settings.CELERY_TASK_ALWAYS_EAGER:
            t.run(*args)
        else:
            t.delay(*args)
    except Exception:
        log.exception("task %s(%s) failed; the sweeper will retry it", name, args)


def enqueue_ids(name: str, ids: list[int]) -> None:
    """Enqueue a batch task for these ids, in messages of at most IDS_PER_MESSAGE ids. Run
    in-process (the embedded default), the whole batch is one call: there is no other worker."""
    if not ids:
        return
    if settings.CELERY_TASK_ALWAYS_EAGER:
        enqueue(name, list(ids))
        return
    for start in range(0, len(ids), IDS_PER_MESSAGE):
        enqueue(name, ids[start : start + IDS_PER_MESSAGE])


class InProcessScheduler(threading.Thread):
    """The embedded default's stand-in for celery beat: runs `tick` every `interval` seconds."""

    def __init__(self, interval: int):
        super().__init__(name="tsur-tick", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            close_old_connections()
            try:
                tick.run()
            except Exception:
                log.exception("in-process tick failed")
