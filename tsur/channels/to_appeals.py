"""From messages to appeals: the appeal's channel and external id, the NewAppeal of a message,
replies that continue a known conversation, and the batch's appeals created with
`create_appeals` (triaged and taken to moderation at creation, IntakeAtCreation)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import DatabaseError

from tsur.appeals.models import Appeal
from tsur.appeals.photos import read_photo
from tsur.channels import registry
from tsur.channels.base import NormalisedMessage
from tsur.channels.models import ChannelConfig, Delivery, InboundMessage
from tsur.channels.outcomes import Outcome, State, fail, retry
from tsur.core import clock
from tsur.core.errors import ValidationFailed
from tsur.triage.intake import IntakeAtCreation

log = logging.getLogger(__name__)

# Fields a resident or a plugin may get wrong without the message losing its meaning: an appeal is
# still created without them (and the decision says what was dropped).
DROPPABLE_FIELDS = ("category", "territory", "location", "address", "email", "photos")


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


def continue_threads(outcomes: list[Outcome]) -> None:
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
            retry(o, f"ошибка при добавлении сообщения к обращению ({type(exc).__name__})")
            continue
        o.appeal_id = appeal_id
        o.decision = f"продолжение переписки по обращению №{number}"


def create_appeals_for(outcomes: list[Outcome]) -> None:
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
                    retry(outcome, f"ошибка при создании обращения ({type(exc).__name__})")


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
                fail(outcome, validation_reason(result))
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


def validation_reason(exc: ValidationFailed) -> str:
    details = "; ".join(m for messages in exc.field_errors.values() for m in messages)
    return f"{exc.message} {details}".strip()
