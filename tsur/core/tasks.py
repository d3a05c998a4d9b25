"""Background work, knowing no app: each app registers its own tasks (`background`) and periodic
jobs (`periodic`) in its tasks module, which its AppConfig imports.

The database is the source of truth: every task re-reads its rows, claims them with a conditional
update and can run twice safely; the periodic jobs of `tick` sweep up whatever a lost queue
message left behind. Without a broker (the embedded default) tasks run in-process on a background
thread after the transaction commits (never inside the request that asked for them), and an
in-process scheduler runs `tick`. With a broker, the messages are sent from that thread too, so a
request does not wait for the broker's round trips. `TSUR_TASKS_INLINE` (the tests) runs them
inline, at once, as before.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections, connections

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


def gather_seconds() -> float:
    """How long a batch task's message about fresh work waits for the work arriving after it
    (TSUR_INTAKE_GATHER_SECONDS): on a Celery worker only; in-process (the embedded runner,
    TSUR_TASKS_INLINE in the tests) the batches waiting together are merged before they run."""
    if settings.CELERY_TASK_ALWAYS_EAGER or settings.TSUR_TASKS_INLINE:
        return 0.0
    return settings.TSUR_INTAKE_GATHER_SECONDS


def gather(since: dt.datetime, seconds: float) -> None:
    """Sleep until `since` is `seconds` old (at most `seconds`): the batch then takes what
    arrived meanwhile. No CPU is spent while waiting."""
    pause = min(seconds, seconds - (clock.now() - since).total_seconds())
    if pause > 0:
        time.sleep(pause)


def enqueue(name: str, *args: object) -> None:
    """Run in-process (embedded default) or send to Celery, from the background runner (inline
    with TSUR_TASKS_INLINE). Never raises: the row in the database is the record of the work, and
    a periodic job re-enqueues it if this attempt is lost."""
    if not settings.TSUR_TASKS_INLINE:
        runner().submit(name, args)
        return
    _run_or_send(name, args)


def _run_or_send(name: str, args: tuple) -> None:
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
    in-process (the embedded default), the whole batch is one call: there is no other worker.
    Through the background runner, batches of the same task waiting together are merged first."""
    if not ids:
        return
    if not settings.TSUR_TASKS_INLINE:
        runner().submit(name, (list(ids),), kind=IDS)
        return
    _send_ids(name, list(ids))


CALL, IDS = "call", "ids"  # how the runner treats a call: as is, or ids to send in batches


def _send_ids(name: str, ids: list) -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        _run_or_send(name, (ids,))
        return
    for start in range(0, len(ids), IDS_PER_MESSAGE):
        _run_or_send(name, (ids[start : start + IDS_PER_MESSAGE],))


# The background runner holds at most this many waiting calls; past that a call is dropped with a
# warning (its rows stay recorded: the sweepers enqueue it again), so a burst cannot eat memory.
RUNNER_QUEUE_LIMIT = 20_000
# Batches of one task merged by the runner carry at most this many ids per call.
RUNNER_MERGE_IDS = 200
# At exit the runner finishes what is waiting, up to this long: a command that created appeals
# exits with their follow-ups done, as when they ran inline; a web worker stopping is cut short by
# its server's graceful timeout (gunicorn: 30 s), and the sweepers take up the rest.
RUNNER_DRAIN_SECONDS = 600.0
# The runner closes its database connection after this long with nothing to do.
RUNNER_IDLE_CLOSE_SECONDS = 5.0


class BackgroundRunner(threading.Thread):
    """One daemon thread per process that runs (no broker) or sends (broker) the tasks enqueued in
    this process, after the request that enqueued them has answered. Calls of one batch task
    waiting together become one call (e.g. the intake follow-up of 30 appeals received in a burst
    is triaged as one batch). Started on first use, so a forked web worker starts its own."""

    def __init__(self) -> None:
        super().__init__(name="tsur-tasks", daemon=True)
        self.waiting: queue.Queue[tuple[str, tuple, str]] = queue.Queue(RUNNER_QUEUE_LIMIT)
        self.idle = threading.Condition()
        self.busy = 0  # calls taken from the queue and not finished

    def submit(self, name: str, args: tuple, *, kind: str = CALL) -> None:
        with self.idle:
            self.busy += 1
        try:
            self.waiting.put_nowait((name, args, kind))
        except queue.Full:
            self._done(1)
            log.warning("background queue full: task %s dropped; the sweeper will enqueue it again", name)

    def run(self) -> None:
        while True:
            try:
                calls = [self.waiting.get(timeout=RUNNER_IDLE_CLOSE_SECONDS)]
            except queue.Empty:
                # Idle a while: give the database connection back rather than hold one per web
                # worker (not after every call: at a steady intake that is a reconnect per appeal).
                _quietly(connections.close_all)
                continue
            if not settings.CELERY_TASK_ALWAYS_EAGER and settings.TSUR_TASKS_GATHER_MS > 0:
                # With a broker: the work of the requests answered in the next moment travels
                # with this one (a follow-up of 20 appeals is one message, not 20).
                time.sleep(settings.TSUR_TASKS_GATHER_MS / 1000)
            while True:  # everything already waiting, to merge batches of the same task
                try:
                    calls.append(self.waiting.get_nowait())
                except queue.Empty:
                    break
            try:
                for name, args, kind in _merged(calls):
                    _quietly(close_old_connections)
                    if kind == CALL:
                        _run_or_send(name, args)
                    else:
                        _send_ids(name, args[0])
            finally:
                self._done(len(calls))

    def _done(self, count: int) -> None:
        with self.idle:
            self.busy -= count
            if self.busy <= 0:
                self.idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until every submitted call has finished (True) or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        with self.idle:
            while self.busy > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.idle.wait(left)
        return True


def _quietly(fn: Callable[[], object]) -> None:
    """Connection housekeeping that must never stop the runner thread (a broken connection is
    reopened by the next task's first query)."""
    try:
        fn()
    except Exception:
        log.warning("background runner: %s failed", getattr(fn, "__name__", fn), exc_info=True)


def _merged(calls: list[tuple[str, tuple, str]]) -> list[tuple[str, tuple, str]]:
    """The calls in order, with the id lists of each batch task joined (first occurrence kept,
    at most RUNNER_MERGE_IDS ids per call)."""
    out: list[tuple[str, tuple, str]] = []
    open_batch: dict[tuple[str, str], list] = {}
    for name, args, kind in calls:
        if kind == CALL:
            out.append((name, args, kind))
            continue
        ids = open_batch.get((name, kind))
        if ids is None or len(ids) >= RUNNER_MERGE_IDS:
            ids = []
            open_batch[name, kind] = ids
            out.append((name, (ids,), kind))
        seen = set(ids)
        ids.extend(i for i in args[0] if i not in seen)
    return out


_runner: BackgroundRunner | None = None
_runner_lock = threading.Lock()


def runner() -> BackgroundRunner:
    """This process's background runner, started on first use."""
    global _runner
    with _runner_lock:
        if _runner is None or not _runner.is_alive():
            _runner = BackgroundRunner()
            _runner.start()
            atexit.register(_runner.wait_idle, RUNNER_DRAIN_SECONDS)
        return _runner


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
