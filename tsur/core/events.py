"""Domain events, published after the transaction that made them commits.

A `Topic` is one kind of event with its own payload type. The app that owns the change publishes
(`topic.publish(events)`, inside its transaction); apps above it subscribe (`topic.subscribe`, in
their AppConfig.ready) without the owner importing them. Subscribers run only once the change is
committed, as Zulip sends its events: a rolled-back change notifies nobody, and a subscriber that
reads the database sees what was written. A subscriber that raises is logged and does not stop the
others or undo the change; work that must not be lost is recorded in the database by the
subscriber and re-done by its sweeper, as every background job here is.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

from django.db import transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
Subscriber = Callable[[Sequence[T]], None]


class Topic(Generic[T]):
    """One kind of domain event. Subscribers receive the events of one commit together (a batch
    of new appeals is one call), in the order they were published."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._subscribers: dict[str, Subscriber] = {}

    def subscribe(self, subscriber: Subscriber, *, uid: str) -> None:
        """Add a subscriber; `uid` makes a repeated subscription (a reloaded app) a no-op."""
        self._subscribers[uid] = subscriber

    def unsubscribe(self, uid: str) -> None:
        self._subscribers.pop(uid, None)

    def publish(self, events: Sequence[T]) -> None:
        """Deliver `events` to every subscriber after the current transaction commits (at once
        outside a transaction); inside `gathering()`, when that block ends."""
        if events and self._subscribers:
            frames = _gathering.get()
            if frames:
                frames[-1].setdefault(self, []).extend(events)
                return
            batch = list(events)
            transaction.on_commit(lambda: self._deliver(batch))

    def _deliver(self, events: list[T]) -> None:
        for uid, subscriber in list(self._subscribers.items()):
            try:
                subscriber(events)
            except Exception:
                log.exception("subscriber %s of %s failed on %d events", uid, self.name, len(events))


_gathering: contextvars.ContextVar[tuple[dict[Topic, list], ...]] = contextvars.ContextVar("tsur_events_gathering", default=())


def gathering_active() -> bool:
    """Whether a `gathering()` block is open here: a bulk writer wants one batch per transaction."""
    return bool(_gathering.get())


@contextlib.contextmanager
def gathering() -> Iterator[None]:
    """Hold what every topic publishes inside the block and publish it as one batch per topic when
    the block ends; discard it if the block raises. For bulk writers that call the services many
    times in one transaction (the history replay): subscribers then get one call per batch, not one
    per service call. Open it exactly where a transaction or savepoint is opened (inside
    `transaction.atomic()`), so what a rolled-back block published is dropped with it; nested
    blocks hand their events to the enclosing one."""
    token = _gathering.set((*_gathering.get(), {}))
    frame = _gathering.get()[-1]
    try:
        yield
    except BaseException:
        _gathering.reset(token)
        raise
    _gathering.reset(token)
    for topic, events in frame.items():
        topic.publish(events)
