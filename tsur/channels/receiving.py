"""Receiving: raw payloads are stored once, untouched (idempotent on channel + external id),
before anything else happens to them; their processing is scheduled after commit."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable

from django.db import DatabaseError, transaction

from tsur.channels.base import ChannelError, RawItem
from tsur.channels.models import ChannelConfig, InboundMessage
from tsur.channels.policy import batch_size
from tsur.core import clock, tasks
from tsur.core.db import copy_rows

log = logging.getLogger(__name__)


def _chunks(seq: list, size: int) -> Iterable[list]:
    for i in range(0, len(seq), size):
        yield seq[i : i + size]


def _storable(payload) -> tuple[object, str]:
    """The payload as it will be stored, and a note if it had to be changed. PostgreSQL's jsonb
    cannot hold the NUL character, so NULs are replaced (the only change ever made to a raw)."""
    try:
        encoded = json.dumps(payload, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise ChannelError(f"данные не сериализуются в JSON ({type(exc).__name__})") from None
    if "\\u0000" not in encoded:
        return payload, ""
    return json.loads(encoded.replace("\\u0000", "\\ufffd")), "NUL заменены на U+FFFD"


def receive(config: ChannelConfig, items: Iterable[RawItem], *, process: bool = True) -> dict[str, int]:
    """Store raw payloads untouched (bulk, idempotent on channel + external id) and schedule their
    processing after commit. Returns counts: received (new), duplicates, rejected."""
    now = clock.now()
    rows: dict[str, InboundMessage] = {}
    duplicates = rejected = 0
    for item in items:
        external_id = str(item.external_id if item.external_id is not None else "").strip()
        if not external_id or len(external_id) > 200:
            rejected += 1
            log.warning("channel %s: payload without a usable external id rejected", config.code)
            continue
        if external_id in rows:
            duplicates += 1
            continue
        rows[external_id] = InboundMessage(
            channel=config, external_id=external_id, kind=(item.kind or "message")[:16], raw=item.payload, received_at=now
        )
    known = _stored(config, list(rows))
    new = [row for ext, row in rows.items() if ext not in known]
    duplicates += len(rows) - len(new)
    with transaction.atomic():
        try:
            with transaction.atomic():
                copy_rows(InboundMessage, new)
        except (TypeError, ValueError, DatabaseError):
            try:
                # Another receiver stored some of the same posts since the check above: skip those.
                with transaction.atomic():
                    InboundMessage.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
            except (TypeError, ValueError, DatabaseError):
                # One payload the database refuses must not lose the others: store them one by one.
                new, refused = _store_one_by_one(config, new)
                rejected += refused
        if process and new:
            tasks = min(math.ceil(len(new) / batch_size()), 50)  # the sweeper picks up the rest
            transaction.on_commit(lambda: _schedule_processing(tasks))
    return {"received": len(new), "duplicates": duplicates, "rejected": rejected}


def _stored(config: ChannelConfig, external_ids: list[str]) -> set[str]:
    """Which of these posts of the channel are stored already."""
    known: set[str] = set()
    for chunk in _chunks(external_ids, 500):
        known.update(InboundMessage.objects.filter(channel=config, external_id__in=chunk).values_list("external_id", flat=True))
    return known


def _store_one_by_one(config: ChannelConfig, rows: list[InboundMessage]) -> tuple[list[InboundMessage], int]:
    stored, refused = [], 0
    for row in rows:
        try:
            row.raw, note = _storable(row.raw)
            row.decision = note
            with transaction.atomic():
                InboundMessage.objects.bulk_create([row], ignore_conflicts=True)
            stored.append(row)
        except (ChannelError, DatabaseError) as exc:
            refused += 1
            reason = exc.args[0] if isinstance(exc, ChannelError) else type(exc).__name__
            log.warning("channel %s: payload %s refused by the database: %s", config.code, row.external_id[:40], reason)
    return stored, refused


def _schedule_processing(count: int) -> None:
    for _ in range(count):
        tasks.enqueue("process_inbound")
