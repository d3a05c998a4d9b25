"""Processing a claimed batch: normalise -> screen public posts -> continue known conversations
-> create appeals -> mark every row (one bulk update). A crash anywhere before the rows are
marked leaves them claimed; after the lease another worker processes them again, and
create_appeals' idempotency on "<channel code>:<external id>" finds the appeals already made."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from tsur.appeals import channels as channel_kinds
from tsur.channels.base import ChannelError, ChannelPlugin, RawItem
from tsur.channels.claiming import claim_inbound
from tsur.channels.models import ChannelConfig, InboundMessage
from tsur.channels.outcomes import Outcome, State, fail, retry
from tsur.channels.policy import batch_size
from tsur.channels.screening import screen_posts
from tsur.channels.to_appeals import appeal_channel, continue_threads, create_appeals_for
from tsur.core import clock
from tsur.core.db import update_rows


def process_pending(limit: int | None = None) -> dict[str, int]:
    """Claim a batch of pending rows and process it. Returns counts per outcome."""
    _token, rows = claim_inbound(limit or batch_size())
    return process_rows(rows)


def process_rows(rows: list[InboundMessage]) -> dict[str, int]:
    """normalise -> screen public posts -> create appeals -> mark every row (one bulk update)."""
    if not rows:
        return {}
    plugins: dict[int, ChannelPlugin | str] = {}
    outcomes = [_normalise(row, plugins) for row in rows]
    screen_posts([o for o in outcomes if o.message is not None and o.message.is_public and o.state == State.PENDING])
    threads = [o for o in outcomes if o.state == State.APPEAL and o.message.thread_of]
    continue_threads(threads)
    # A reply that arrived in the same batch as its thread's first message waits for that
    # message's appeal to be created, then joins it.
    in_batch = {(o.row.channel_id, o.row.external_id) for o in outcomes if o.state == State.APPEAL}
    later = {id(o) for o in threads if o.appeal_id is None and (o.row.channel_id, o.message.thread_of) in in_batch}
    create_appeals_for([o for o in outcomes if o.state == State.APPEAL and o.appeal_id is None and id(o) not in later])
    if later:
        waiting = [o for o in threads if id(o) in later and o.state == State.APPEAL]
        continue_threads(waiting)
        create_appeals_for([o for o in waiting if o.state == State.APPEAL and o.appeal_id is None])
    _mark(outcomes)
    counts: dict[str, int] = {}
    for o in outcomes:
        key = "retry" if o.state == State.PENDING else o.state
        counts[key] = counts.get(key, 0) + 1
    return counts


def _plugin_for(config: ChannelConfig, cache: dict[int, ChannelPlugin | str]) -> ChannelPlugin | str:
    """The configured plugin, or the reason it cannot be built (unknown kind, invalid settings)."""
    if config.pk not in cache:
        try:
            cache[config.pk] = config.plugin()
        except KeyError:
            cache[config.pk] = f"нет модуля канала вида «{config.kind}»"
        except Exception as exc:  # pydantic.ValidationError and plugin constructors
            cache[config.pk] = f"настройки канала не прошли проверку ({type(exc).__name__})"
    return cache[config.pk]


def _normalise(row: InboundMessage, plugins: dict) -> Outcome:
    outcome = Outcome(row=row)
    plugin = _plugin_for(row.channel, plugins)
    if isinstance(plugin, str):
        return fail(outcome, plugin)
    if appeal_channel(row.channel) not in channel_kinds.known():
        return fail(outcome, f"вид канала «{row.channel.kind}» не является каналом обращений")
    try:
        message = plugin.normalise(RawItem(external_id=row.external_id, payload=row.raw, kind=row.kind))
    except ChannelError as exc:
        if getattr(exc, "retryable", False):
            return retry(outcome, str(exc), getattr(exc, "retry_after", None))
        return fail(outcome, str(exc) or "данные сообщения не разобраны")
    except Exception as exc:  # a plugin bug or a network error while fetching attachments
        return retry(outcome, f"ошибка разбора сообщения ({type(exc).__name__})")
    if message is None:
        outcome.state = State.IGNORED
        outcome.decision = "нечего обрабатывать: удалённое или служебное сообщение"
        return outcome
    outcome.message = message
    if not (message.text or "").strip():
        return fail(outcome, "в сообщении нет текста")
    if not message.is_public:
        outcome.state = State.APPEAL
        outcome.decision = "личное сообщение: обращение без отбора"
    return outcome


def _mark(outcomes: list[Outcome]) -> None:
    now = clock.now()
    rows = []
    for o in outcomes:
        row = o.row
        row.state = o.state
        row.last_error = o.error
        row.claim_token = ""
        if o.state == State.PENDING:
            row.claimed_until = now + dt.timedelta(seconds=o.retry_in or 0)
        else:
            row.claimed_until = None
            row.processed_at = now
        row.decision = (o.decision or row.decision)[:300]
        row.complaint_probability = o.probability
        row.appeal_id = o.appeal_id
        if o.state == State.SIGNAL:
            row.text = o.message.text[: settings.TSUR_MAX_TEXT_CHARS]
        if o.state == State.APPEAL:
            # Kept so an answer can be published back without normalising the raw again
            # (normalising may fetch attachments from the network).
            row.reply_to = o.message.reply_to or {}
        rows.append(row)
    update_rows(InboundMessage, rows, MARKED_FIELDS)


MARKED_FIELDS = (
    "state", "last_error", "claim_token", "claimed_until", "processed_at",
    "decision", "complaint_probability", "appeal", "text", "reply_to",
)
