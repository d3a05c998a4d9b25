"""The two small contracts every channel plugin implements, and the normalised message.

Inbound: a raw payload (kept untouched in the database) -> a NormalisedMessage, or None when the
payload carries nothing to act on (a deleted post, a service message). Outbound: deliver a text
to the place a message came from, raising DeliveryError that says whether a retry can help.
The core never imports a vendor SDK: plugins do, behind these contracts.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel


class ChannelError(Exception):
    """A payload or a setting the plugin cannot work with (logged with its reason, kept for review)."""


class ServiceError(ChannelError):
    """A failure talking to an outside service; `retryable` says whether a later attempt can help."""

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None, code: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.code = code


class DeliveryError(Exception):
    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass
class RawItem:
    """One payload as the outside service sent it, plus the id it is known by there."""

    external_id: str
    payload: Any  # JSON-compatible (dict/list/str); stored untouched
    kind: str = "message"  # post / comment / message / email / row


@dataclass
class NormalisedMessage:
    external_id: str
    text: str
    kind: str  # post / comment / message / email / row
    created_at: dt.datetime | None = None
    # Who wrote it (personal data: stored only in Resident, never logged).
    author_name: str = ""
    author_contact: str = ""  # e-mail or phone when the channel gives one
    author_link: str = ""  # profile URL / account id
    # Where to answer: opaque to the core, understood by the same plugin's deliver().
    reply_to: dict = field(default_factory=dict)
    is_public: bool = False  # a public social post (incident regime, screened for complaints)
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    category_code: str = ""
    photos: list[bytes] = field(default_factory=list)
    # A message that continues a conversation names the external id (as in RawItem) of the
    # conversation's first message in this channel: if that one became an appeal, this message is
    # added to it instead of becoming a new appeal.
    thread_of: str = ""
    # A message that replies to one of our answers names that delivery's external id (as
    # Delivery.external_id stores it): used when the message names no known thread first message.
    answers_delivery: str = ""
    extra: dict = field(default_factory=dict)


class ChannelPlugin(abc.ABC):
    """A channel kind (vk, telegram, ok, email, pos_import). Settings are validated data."""

    kind: ClassVar[str]
    label: ClassVar[str]
    settings_model: ClassVar[type[BaseModel]]
    # The appeal channel of private conversations, when it differs from the plugin kind (and so
    # may bring another deadline regime); empty: the same as public posts.
    private_appeal_channel: ClassVar[str] = ""

    def __init__(self, settings: BaseModel):
        self.settings = settings

    @classmethod
    def validate_settings(cls, raw: dict) -> BaseModel:
        return cls.settings_model.model_validate(raw)

    # -- inbound ---------------------------------------------------------------------------
    def poll(self, cursor: dict) -> tuple[Iterable[RawItem], dict]:
        """Fetch new payloads since `cursor` (listening); returns the items and the next cursor.
        Push channels (webhooks) do not implement it."""
        raise NotImplementedError

    @abc.abstractmethod
    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        """Turn one stored raw payload into a message; None when there is nothing to act on."""

    # -- outbound --------------------------------------------------------------------------
    def deliver(self, reply_to: dict, text: str) -> str:
        """Publish `text` where the message came from; returns the outside id of what was sent.
        Raises DeliveryError(retryable=...)."""
        raise DeliveryError(f"канал «{self.label}» не умеет отвечать", retryable=False)
