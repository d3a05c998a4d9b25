"""The ingestion core of every channel: store raw payloads first, then turn them into appeals or
signals; listening (polling enabled channels); the retention purge of signals.

The database is the record of work in flight. `receive` writes each payload once (idempotent on
channel + external id) before anything else happens to it. `process_pending` claims stored rows
with a conditional update and a lease, so two workers never process the same row and a row
whose worker died is claimed again when the lease runs out. The appeal's external id is
"<channel code>:<external id>", so a crash between creating the appeal and marking the row is
healed by create_appeals' idempotency: the retry finds the appeal instead of making a second one.

Nothing here logs personal data: log lines carry row ids, channel codes and reasons, never
texts or authors.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import F, Q

from tsur.appeals import channels as channel_kinds
from tsur.appeals.models import Appeal
from tsur.appeals.photos import read_photo
from tsur.channels import registry
from tsur.channels.base import ChannelError, ChannelPlugin, NormalisedMessage, RawItem
from tsur.channels.models import ChannelConfig, Delivery, InboundMessage
from tsur.channels.screening import SCREEN
from tsur.core import clock, tasks
from tsur.core.db import copy_rows, update_rows
from tsur.core.errors import ValidationFailed
from tsur.triage.intake import IntakeAtCreation

log = logging.getLogger(__name__)

State = InboundMessage.State

# A row whose processing failed this many times (each claim counts) is failed for an operator.
MAX_INBOUND_ATTEMPTS = 10
# Fields a resident or a plugin may get wrong without the message losing its meaning: an appeal is
# still created without them (and the decision says what was dropped).
DROPPABLE_FIELDS = ("category", "territory", "location", "address", "email", "photos")


def setting(name: str, default):
    """Channel settings with their defaults (documented in docs/channels.md)."""
    return getattr(settings, name, default)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=setting("TSUR_CHANNEL_LEASE_SECONDS", 120))


def batch_size() -> int:
    return int(setting("TSUR_CHANNEL_BATCH", 500))


def backoff(attempt: int, *, base: float, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before attempt `attempt + 1`: exponential, capped, with jitter (half the
    delay is random) so many failed items do not all come back in the same second. A service
    that said when to come back (rate limit) is never retried earlier than that."""
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    if retry_after:
        delay = max(delay, min(float(retry_after), 24 * 3600.0))
    return delay


# --- receiving ----------------------------------------------------------------------------------


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


# --- processing ---------------------------------------------------------------------------------


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
    _screen([o for o in outcomes if o.message is not None and o.message.is_public and o.state == State.PENDING])
    threads = [o for o in outcomes if o.state == State.APPEAL and o.message.thread_of]
    _continue_threads(threads)
    # A reply that arrived in the same batch as its thread's first message waits for that
    # message's appeal to be created, then joins it.
    in_batch = {(o.row.channel_id, o.row.external_id) for o in outcomes if o.state == State.APPEAL}
    later = {id(o) for o in threads if o.appeal_id is None and (o.row.channel_id, o.message.thread_of) in in_batch}
    _create_appeals([o for o in outcomes if o.state == State.APPEAL and o.appeal_id is None and id(o) not in later])
    if later:
        waiting = [o for o in threads if id(o) in later and o.state == State.APPEAL]
        _continue_threads(waiting)
        _create_appeals([o for o in waiting if o.state == State.APPEAL and o.appeal_id is None])
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
        return _fail(outcome, plugin)
    if appeal_channel(row.channel) not in channel_kinds.known():
        return _fail(outcome, f"вид канала «{row.channel.kind}» не является каналом обращений")
    try:
        message = plugin.normalise(RawItem(external_id=row.external_id, payload=row.raw, kind=row.kind))
    except ChannelError as exc:
        if getattr(exc, "retryable", False):
            return _retry(outcome, str(exc), getattr(exc, "retry_after", None))
        return _fail(outcome, str(exc) or "данные сообщения не разобраны")
    except Exception as exc:  # a plugin bug or a network error while fetching attachments
        return _retry(outcome, f"ошибка разбора сообщения ({type(exc).__name__})")
    if message is None:
        outcome.state = State.IGNORED
        outcome.decision = "нечего обрабатывать: удалённое или служебное сообщение"
        return outcome
    outcome.message = message
    if not (message.text or "").strip():
        return _fail(outcome, "в сообщении нет текста")
    if not message.is_public:
        outcome.state = State.APPEAL
        outcome.decision = "личное сообщение: обращение без отбора"
    return outcome


def _fail(outcome: Outcome, reason: str) -> Outcome:
    outcome.state = State.FAILED
    outcome.error = reason[:1000]
    log.warning("inbound %s (%s) failed: %s", outcome.row.pk, outcome.row.channel.code, reason)
    return outcome


def _retry(outcome: Outcome, reason: str, retry_after: float | None = None) -> Outcome:
    if outcome.row.attempts >= MAX_INBOUND_ATTEMPTS:
        return _fail(outcome, f"{reason}; попыток: {outcome.row.attempts}")
    outcome.state = State.PENDING
    outcome.error = reason[:1000]
    outcome.retry_in = backoff(outcome.row.attempts, base=30, cap=3600, retry_after=retry_after)
    log.warning("inbound %s (%s) will be retried: %s", outcome.row.pk, outcome.row.channel.code, reason)
    return outcome


# --- complaint screening ------------------------------------------------------------------------




def _screen(outcomes: list[Outcome]) -> None:
    if not outcomes:
        return
    screen, reason = SCREEN.get()
    verdicts = None
    if screen is not None:
        try:
            verdicts = screen.predict([o.message.text for o in outcomes])
        except Exception as exc:
            log.exception("complaint screening failed on a batch of %d posts", len(outcomes))
            reason = f"ошибка модели отбора жалоб ({type(exc).__name__})"
    if verdicts is None:
        for o in outcomes:
            o.state = State.APPEAL
            o.decision = f"{reason}: пост считается жалобой"[:300]
        return
    threshold = getattr(screen, "threshold", 0.5)
    for o, (is_complaint, probability) in zip(outcomes, verdicts, strict=True):
        o.probability = float(probability)
        verdict = "жалоба" if is_complaint else "не жалоба"
        o.decision = f"{verdict}: вероятность жалобы {probability:.2f} (порог {threshold:.2f})"
        o.state = State.APPEAL if is_complaint else State.SIGNAL


# --- appeals ------------------------------------------------------------------------------------


def appeal_channel(config: ChannelConfig, *, public: bool = True) -> str:
    """The appeal's channel: the plugin kind, unless the plugin says otherwise with an
    `appeal_channel` class attribute (e.g. a monitoring service that relays VK posts), or, for a
    private conversation, a `private_appeal_channel` one (Telegram's bot: the message regime)."""
    try:
        plugin = registry.get(config.kind)
    except KeyError:
        return config.kind
    if not public and getattr(plugin, "private_appeal_channel", ""):
        return plugin.private_appeal_channel
    return getattr(plugin, "appeal_channel", "") or config.kind


def appeal_external_id(config: ChannelConfig, external_id: str) -> str:
    return f"{config.code}:{external_id}"[:200]


def new_appeal_from(config: ChannelConfig, row: InboundMessage, message: NormalisedMessage):
    """The NewAppeal for a message (personal data goes to Resident through create_appeal)."""
    from tsur.appeals.services import NewAppeal

    text = message.text.strip()
    limit = settings.TSUR_MAX_TEXT_CHARS
    if len(text) > limit:  # the raw keeps the whole text; the appeal gets what fits
        text = text[: limit - 1] + "…"
    contact = (message.author_contact or "").strip()
    received = message.created_at
    now = clock.now()
    if received is None or received > now:
        received = row.received_at or now
    return NewAppeal(
        channel=appeal_channel(config, public=message.is_public),
        text=text.replace("\x00", ""),
        category_code=message.category_code,
        address=message.address[:300],
        lat=message.lat,
        lon=message.lon,
        external_id=appeal_external_id(config, row.external_id),
        received_at=received,
        name=message.author_name[:200],
        email=contact if "@" in contact else "",
        phone=contact[:32] if contact and "@" not in contact else "",
        account_link=message.author_link[:300],
        photos=_photos(message.photos),
    )


def _photos(contents: list[bytes]) -> list:
    if not contents:
        return []
    photos = []
    for i, content in enumerate(contents[: settings.TSUR_MAX_PHOTOS], start=1):
        try:
            photos.append(read_photo(content, label=f"Фото {i}"))
        except ValidationFailed:
            continue  # a broken picture does not lose the complaint
    return photos


def _continue_threads(outcomes: list[Outcome]) -> None:
    """Messages that continue a conversation whose first message became an appeal (a resident's
    reply in an e-mail thread), or that reply to an answer we delivered, are added to that appeal,
    not made into new ones. When neither is known here, the message becomes an appeal of its own."""
    from tsur.appeals.services import add_resident_message

    found: dict[int, tuple[int, str]] = {}  # id(outcome) -> (appeal id, number)
    wanted: dict[tuple[str, str], list[Outcome]] = {}
    for o in outcomes:
        if o.message.thread_of and o.message.thread_of != o.row.external_id:
            key = (appeal_channel(o.row.channel, public=o.message.is_public), appeal_external_id(o.row.channel, o.message.thread_of))
            wanted.setdefault(key, []).append(o)
    for channel in {channel for channel, _ in wanted}:
        external_ids = [ext for c, ext in wanted if c == channel]
        for appeal_id, number, external_id in Appeal.objects.filter(channel=channel, external_id__in=external_ids).values_list(
            "pk", "number", "external_id"
        ):
            for o in wanted[channel, external_id]:
                found[id(o)] = (appeal_id, number)
    # A reply to our answer whose mail client kept only In-Reply-To (our letter's id): the
    # delivery that sent that letter knows the appeal.
    answering: dict[tuple[int, str], list[Outcome]] = {}
    for o in outcomes:
        if id(o) not in found and o.message.answers_delivery:
            answering.setdefault((o.row.channel_id, o.message.answers_delivery[:200]), []).append(o)
    for channel_id in {channel_id for channel_id, _ in answering}:
        external_ids = [ext for c, ext in answering if c == channel_id]
        for appeal_id, number, external_id in Delivery.objects.filter(channel_id=channel_id, external_id__in=external_ids).values_list(
            "appeal_id", "appeal__number", "external_id"
        ):
            for o in answering.pop((channel_id, external_id), []):
                found[id(o)] = (appeal_id, number)
    for o in outcomes:
        if id(o) not in found:
            continue
        appeal_id, number = found[id(o)]
        try:
            add_resident_message(
                appeal_id, text=o.message.text, photos=_photos(o.message.photos), source=appeal_channel(o.row.channel, public=o.message.is_public),
                external_id=appeal_external_id(o.row.channel, o.row.external_id),
            )
        except DatabaseError:
            raise  # the whole batch is retried after the lease
        except Exception as exc:  # a bug here must not stop the rest of the batch
            log.exception("inbound %s: adding the message to appeal %s failed", o.row.pk, appeal_id)
            _retry(o, f"ошибка при добавлении сообщения к обращению ({type(exc).__name__})")
            continue
        o.appeal_id = appeal_id
        o.decision = f"продолжение переписки по обращению №{number}"


def _create_appeals(outcomes: list[Outcome]) -> None:
    """Create the batch's appeals with one create_appeals call (and a second for the items that
    lost only droppable fields). If the batch call fails on something other than the database,
    each appeal is created on its own, so one bad message cannot hold back the others."""
    if not outcomes:
        return
    pending = [(o, new_appeal_from(o.row.channel, o.row, o.message)) for o in outcomes]
    try:
        _create_batch(pending)
    except DatabaseError:
        raise  # the database is down or restarting: the whole batch is retried after the lease
    except Exception:
        log.exception("a batch of %d appeals failed; creating them one by one", len(pending))
        for outcome, data in pending:
            if outcome.appeal_id is None and outcome.state == State.APPEAL:
                try:
                    _create_batch([(outcome, data)])
                except DatabaseError:
                    raise
                except Exception as exc:  # a bug in a later step must not stop the rest of the batch
                    log.exception("inbound %s: appeal creation failed", outcome.row.pk)
                    _retry(outcome, f"ошибка при создании обращения ({type(exc).__name__})")


def _create_batch(pending: list[tuple[Outcome, object]]) -> None:
    """create_appeals, then once more for the appeals whose only faults were droppable fields (a
    place outside the region, an unknown category, a broken photo): they are created without them
    and the decision lists what was dropped."""
    from tsur.appeals.services import create_appeals

    dropped: dict[int, list[str]] = {}
    for _ in range(2):
        again = []
        # Triage and the move to moderation run before the appeals are first written: the
        # claimed inbound rows are the record of this work until they are marked.
        created = create_appeals([data for _, data in pending], intake=IntakeAtCreation())
        for (outcome, data), result in zip(pending, created, strict=True):
            if not isinstance(result, ValidationFailed):
                outcome.appeal_id = result.pk
                if outcome.row.pk in dropped:
                    names = ", ".join(dropped[outcome.row.pk])
                    outcome.decision = f"{outcome.decision}; не приняты поля: {names}"[:300]
                continue
            bad = [f for f in result.field_errors if f in DROPPABLE_FIELDS]
            if outcome.row.pk in dropped or not bad or len(bad) != len(result.field_errors):
                _fail(outcome, _validation_reason(result))
                continue
            dropped[outcome.row.pk] = bad
            _drop_fields(data, bad)
            again.append((outcome, data))
        if not again:
            return
        pending = again


def _drop_fields(data, names: list[str]) -> None:
    for name in names:
        if name == "category":
            data.category_code = ""
        elif name == "territory":
            data.territory_code = ""
        elif name == "location":
            data.lat = data.lon = None
        elif name == "address":
            data.address = ""
        elif name == "email":
            data.email = ""
        elif name == "photos":
            data.photos = []


def _validation_reason(exc: ValidationFailed) -> str:
    details = "; ".join(m for messages in exc.field_errors.values() for m in messages)
    return f"{exc.message} {details}".strip()


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


def requeue_failed(ids: Iterable[int]) -> int:
    """An operator's "try again" for failed rows (after fixing settings or a plugin)."""
    return InboundMessage.objects.filter(pk__in=list(ids), state=State.FAILED).update(
        state=State.PENDING, attempts=0, claimed_until=None, claim_token="", last_error=""
    )


# --- what the appeal card shows -----------------------------------------------------------------


def screening_of(appeal: Appeal) -> str:
    """What complaint screening decided about the post the appeal came from («жалоба: вероятность
    жалобы 0.83 (порог 0.20)»), or "" for an appeal that was not screened (a form, a letter, a
    private message)."""
    row = InboundMessage.objects.filter(appeal=appeal, complaint_probability__isnull=False).order_by("pk").first()
    return row.decision if row is not None else ""
