"""The ingestion core of every channel, as callers have imported it: store raw payloads first,
then turn them into appeals or signals. The code lives in modules by what it does:

- `receiving`: `receive` stores each payload once (idempotent on channel + external id) before
  anything else happens to it;
- `claiming`: `claim_inbound` / `claim_rows` claim stored rows with a conditional update and a
  lease, so two workers never process the same row and a row whose worker died is claimed again
  when the lease runs out; `requeue_failed`;
- `processing`: `process_pending` / `process_rows` (normalise, screen, appeals, mark);
- `screening`: the model, the screening of a batch, `screening_of` for the card;
- `to_appeals`: the NewAppeal of a message, replies in known conversations, `create_appeals`;
- `outcomes`: what processing decided for a row; `policy`: settings, lease, batch, backoff.

Nothing here logs personal data: log lines carry row ids, channel codes and reasons, never
texts or authors.
"""

from tsur.channels.claiming import claim_inbound, claim_rows, claimable, requeue_failed
from tsur.channels.outcomes import Outcome, State
from tsur.channels.policy import MAX_INBOUND_ATTEMPTS, backoff, batch_size, lease, setting
from tsur.channels.processing import MARKED_FIELDS, process_pending, process_rows
from tsur.channels.receiving import receive
from tsur.channels.screening import screening_of
from tsur.channels.to_appeals import (
    DROPPABLE_FIELDS,
    appeal_channel,
    appeal_external_id,
    continue_threads,
    create_appeals_for,
    new_appeal_from,
    validation_reason,
)

# The names these had when they were private to this module (tests and the ПОС importer).
_continue_threads = continue_threads
_create_appeals = create_appeals_for
_validation_reason = validation_reason

__all__ = [
    "DROPPABLE_FIELDS", "MARKED_FIELDS", "MAX_INBOUND_ATTEMPTS", "Outcome", "State", "appeal_channel", "appeal_external_id",
    "backoff", "batch_size", "claim_inbound", "claim_rows", "claimable", "continue_threads", "create_appeals_for", "lease",
    "new_appeal_from", "process_pending", "process_rows", "receive", "requeue_failed", "screening_of", "setting",
    "validation_reason",
]
