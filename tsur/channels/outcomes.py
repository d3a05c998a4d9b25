"""What processing decides for one stored row (`Outcome`), and the two ways a row does not go on:
failed for an operator, or pending to be retried after a backoff."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from tsur.channels.base import NormalisedMessage
from tsur.channels.models import InboundMessage
from tsur.channels.policy import MAX_INBOUND_ATTEMPTS, backoff

log = logging.getLogger(__name__)

State = InboundMessage.State


@dataclass
class Outcome:
    """What processing decided for one row."""

    row: InboundMessage
    message: NormalisedMessage | None = None
    state: str = State.PENDING
    decision: str = ""
    error: str = ""
    retry_in: float | None = None  # keep pending, try again after this many seconds
    probability: float | None = None
    appeal_id: int | None = None
    notes: list[str] = field(default_factory=list)


def fail(outcome: Outcome, reason: str) -> Outcome:
    """Mark the row failed for an operator, with the reason."""
    outcome.state = State.FAILED
    outcome.error = reason[:1000]
    log.warning("inbound %s (%s) failed: %s", outcome.row.pk, outcome.row.channel.code, reason)
    return outcome


def retry(outcome: Outcome, reason: str, retry_after: float | None = None) -> Outcome:
    """Keep the row pending, to be claimed again after a backoff (failed after the last attempt)."""
    if outcome.row.attempts >= MAX_INBOUND_ATTEMPTS:
        return fail(outcome, f"{reason}; попыток: {outcome.row.attempts}")
    outcome.state = State.PENDING
    outcome.error = reason[:1000]
    outcome.retry_in = backoff(outcome.row.attempts, base=30, cap=3600, retry_after=retry_after)
    log.warning("inbound %s (%s) will be retried: %s", outcome.row.pk, outcome.row.channel.code, reason)
    return outcome
