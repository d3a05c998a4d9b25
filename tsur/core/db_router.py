"""Reads of the situation center and analytics from a read replica (docs/ops-drafts/scaling.md).

With TSUR_DATABASE_REPLICA_URL set, settings add a `replica` database alias: a PostgreSQL hot
standby fed by streaming replication from the primary. Only code that asks for it reads there:
a read-only page or reader wrapped in `replica_reads()` (a context manager and a decorator). Every
write, and every read outside such a block or inside a transaction on the primary, goes to the
primary: a replica lags by up to its replay delay, so nothing that decides or changes anything may
read from it (an operator must see their own change at once; a dashboard a second old is fine).
Without the variable there is no alias and everything reads from the primary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
# Per thread and per asyncio task: one request's choice never leaks into another's.
_reading: ContextVar[bool] = ContextVar("tsur_replica_reads", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


@contextmanager
def replica_reads() -> Iterator[None]:
    """Inside: reads of models go to the replica when one is configured. Also a decorator
    (`@replica_reads()`), a fresh context per call."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def read_alias() -> str:
    """The alias a read would use here and now (for raw SQL: `connections[read_alias()]`)."""
    if _reading.get() and replica_configured() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return REPLICA
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads to the replica only inside `replica_reads()`, writes and
    migrations to the primary always."""

    def db_for_read(self, model, **hints) -> str | None:
        return REPLICA if read_alias() == REPLICA else None  # None: Django's default (the primary)

    def db_for_write(self, model, **hints) -> str:
        # Also for an object that was read from the replica: it is saved to the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        same_data = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= same_data else None

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints) -> bool | None:
        return False if db == REPLICA else None  # replication copies the schema
