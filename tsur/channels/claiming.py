"""Claiming stored rows: a conditional UPDATE and a lease, so two workers never process the same
row and a row whose worker died is claimed again when the lease runs out; the operator's "try
again" for failed rows."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F, Q

from tsur.channels.models import ChannelConfig, InboundMessage
from tsur.channels.policy import MAX_INBOUND_ATTEMPTS, lease
from tsur.core import clock

State = InboundMessage.State


def claimable(now: dt.datetime) -> Q:
    return Q(state=State.PENDING, attempts__lt=MAX_INBOUND_ATTEMPTS) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def claim_inbound(limit: int) -> tuple[str, list[InboundMessage]]:
    """Claim up to `limit` pending rows for this worker until the lease runs out.

    The UPDATE re-checks the claimable condition, so of two workers racing for a row only one
    gets it (PostgreSQL re-evaluates the WHERE on the locked row; SQLite serialises writers);
    SKIP LOCKED keeps PostgreSQL workers from queueing behind each other's candidates."""
    now = clock.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(
            InboundMessage.objects.select_for_update(skip_locked=True)
            .filter(claimable(now))
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return token, []
        InboundMessage.objects.filter(claimable(now), pk__in=ids).update(
            claimed_until=now + lease(), claim_token=token, attempts=F("attempts") + 1
        )
    return token, _claimed(ids, token)


def _claimed(ids: list[int], token: str) -> list[InboundMessage]:
    """The claimed rows, each with its channel.

    Rows are read by primary key only and the claim is checked here: with the state in the WHERE
    clause PostgreSQL also scans the state index, whose "pending" range holds an entry for every
    row version that was ever pending until VACUUM removes them (thousands within one burst).
    The channels are read once per batch, not joined to every row (a join builds one
    ChannelConfig per row, settings JSON included)."""
    rows = [
        row
        for row in InboundMessage.objects.filter(pk__in=ids).order_by("pk")
        if row.claim_token == token and row.state == State.PENDING
    ]
    configs = ChannelConfig.objects.in_bulk({row.channel_id for row in rows})
    for row in rows:
        row.channel = configs[row.channel_id]
    return rows


def claim_rows(ids: Iterable[int]) -> list[InboundMessage]:
    """Claim the given rows (those still pending and not claimed by a live worker)."""
    now = clock.now()
    token = uuid.uuid4().hex
    ids = list(ids)
    InboundMessage.objects.filter(claimable(now), pk__in=ids).update(
        claimed_until=now + lease(), claim_token=token, attempts=F("attempts") + 1
    )
    return _claimed(ids, token)


def requeue_failed(ids: Iterable[int]) -> int:
    """An operator's "try again" for failed rows (after fixing settings or a plugin)."""
    return InboundMessage.objects.filter(pk__in=list(ids), state=State.FAILED).update(
        state=State.PENDING, attempts=0, claimed_until=None, claim_token="", last_error=""
    )
