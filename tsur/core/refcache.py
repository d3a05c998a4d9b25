"""Small reference tables kept in each process, so a resident's request does not read them again.

A new appeal needs the category named by its code, the deadline policy of its regime and the
working calendar's exceptions: a few rows that administrators change a few times a year, read on
every intake request (three of its statements). `Cached` keeps what its loader returns for
`TSUR_REFERENCE_CACHE_SECONDS` (0: not kept, read every time — the tests' default, so a test that
writes reference data reads it back). A save or delete of one of the watched models in this
process forgets the value at once; other processes see the change when their copy expires.
Bulk `update()` sends no signal: such a change is seen within the period too.

Only what the loader returns is kept: it must be plain data or unsaved-safe model instances that
callers do not modify.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

T = TypeVar("T")
_clock = time.monotonic  # the tests move it


class Cached(Generic[T]):
    """One value per process, loaded on first use and kept for TSUR_REFERENCE_CACHE_SECONDS."""

    def __init__(self, name: str, loader: Callable[[], T], *, watch: Iterable[type]) -> None:
        self.name = name
        self._loader = loader
        self._lock = threading.Lock()
        self._value: T | None = None
        self._loaded_at: float | None = None
        for model in watch:
            post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"refcache:{name}:save:{model.__name__}")
            post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=f"refcache:{name}:delete:{model.__name__}")

    def get(self) -> T:
        ttl = settings.TSUR_REFERENCE_CACHE_SECONDS
        if ttl <= 0:
            return self._loader()
        with self._lock:
            fresh = self._loaded_at is not None and _clock() - self._loaded_at < ttl
            if fresh:
                return self._value  # type: ignore[return-value]
        value = self._loader()
        if self._changed_here():
            return value  # this transaction changed the rows: they may yet be rolled back
        with self._lock:
            self._value, self._loaded_at = value, _clock()
        return value

    def _changed_here(self) -> bool:
        """Whether the open transaction (if any) saved or deleted a watched row: its forgetting
        is still waiting for the commit."""
        connection = transaction.get_connection()
        return connection.in_atomic_block and any(
            getattr(func, "__self__", None) is self for _sids, func, _robust in connection.run_on_commit
        )

    def forget(self) -> None:
        with self._lock:
            self._value, self._loaded_at = None, None

    def _changed(self, **_kwargs: object) -> None:
        self.forget()
        # A change made in a transaction is forgotten again once it commits: a request that read
        # the old rows in between must not keep them for the whole period.
        transaction.on_commit(self.forget)
