"""The shared flow of the social listening plugins (VK, OK): read every configured feed (a VK wall,
an OK group) and the comments under its most recent posts, skip a feed or a post that is closed to
us and keep reading the others, remember per feed and per post what was already seen (the cursor),
turn a stored envelope into a public NormalisedMessage, and answer in the same thread.

Each plugin keeps what differs: its settings, API methods and parameters, paging, payload field
names, how it tells what is new (VK's growing ids, OK's timestamps), and its addresses.

Raw payloads are envelopes {"type": <post type> | "comment", <type>: <the service's object
untouched>, "author_name": ..., ...}; the rest of an envelope is the plugin's own.
"""

from __future__ import annotations

import abc
import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import urlsplit

from tsur.channels.base import ChannelError, ChannelPlugin, DeliveryError, NormalisedMessage, RawItem, ServiceError
from tsur.channels.social.client import ErrorTable, SocialClient
from tsur.core import clock

Id = TypeVar("Id", int, str)  # how the service names feeds, posts and comments: VK numbers, OK opaque strings
T = TypeVar("T")


class SocialSettings(Protocol):
    """The settings every social plugin reads (each plugin's own model has these fields)."""

    api_url: str
    timeout: float
    min_interval: float
    max_retries: int
    listen_comments: bool
    lookback_hours: int


class ReplyAddress(NamedTuple, Generic[Id]):
    """Where an answer goes: a feed, a post in it and, when answering a comment, that comment."""

    feed: Id
    post: Id
    comment: Id | None


class PostEnvelope(NamedTuple):
    """How a plugin stores a post: the envelope's type (also the key of the service's object) and
    how reasons name it."""

    type: str  # "post", "topic"
    noun: str  # «запись», «тема»
    missing: str  # the reason when the envelope has no object


@dataclass
class Poll:
    """What one poll has read so far."""

    errors: ErrorTable  # the service's: which answers mean a source is closed to us
    items: list[RawItem] = field(default_factory=list)
    sources: int = 0  # feeds and searches tried
    closed: list[ServiceError] = field(default_factory=list)  # of those, the ones closed to us


class Watermark:
    """What is new in a source whose ids say nothing about order (OK's opaque ids) or which returns
    the same second again (VK's newsfeed.search): the newest time seen there and the ids seen at
    exactly that time. An item is new when it is later than the mark, or at the mark and not seen
    yet; on the first poll (no mark), when it is not older than `since`."""

    def __init__(self, state: Any, time_field: str, since: int):
        state = state if isinstance(state, dict) else {}
        value = state.get(time_field)
        self._field = time_field
        self.last: int | None = value if isinstance(value, int) and not isinstance(value, bool) else None
        self._seen = {str(s) for s in state.get("seen") or []}
        self.floor = self.last if self.last is not None else since  # nothing older than this is new
        self._newest, self._at_newest = (self.last, set(self._seen)) if self.last is not None else (since, set())

    def is_new(self, when: int, item_id: str) -> bool:
        if self.last is None:
            return when >= self.floor
        return when > self.last or (when == self.last and item_id not in self._seen)

    def saw(self, when: int, item_id: str) -> None:
        """Note a new item: the mark moves on to the newest one."""
        if when > self._newest:
            self._newest, self._at_newest = when, {item_id}
        elif when == self._newest:
            self._at_newest.add(item_id)

    def state(self) -> dict:
        return {self._field: self._newest, "seen": sorted(self._at_newest)}


class SocialPlugin(ChannelPlugin, Generic[Id]):
    """Listening to public feeds and the comments under their recent posts; answering in the thread."""

    settings: SocialSettings
    post_envelope: ClassVar[PostEnvelope]
    cursor_sections: ClassVar[tuple[str, str]]  # the cursor's sections: per feed, per post read for comments
    ticks_per_second: ClassVar[int] = 1  # the service's unit of time: VK seconds, OK milliseconds

    # -- what a service says ---------------------------------------------------------------
    @abc.abstractmethod
    def client(self) -> SocialClient:
        """A client with the channel's credentials and client_options()."""

    @abc.abstractmethod
    def feeds(self) -> list[Id]:
        """The feeds to read, in order; a feed's cursor key is str(feed)."""

    @abc.abstractmethod
    def read_feed(self, api: SocialClient, feed: Id, state: Any, since: int) -> tuple[list[RawItem], list[Id], dict]:
        """New posts of a feed (oldest first), the recent posts whose comments to read, the feed's new state."""

    @abc.abstractmethod
    def read_thread(self, api: SocialClient, feed: Id, post: Id, state: Any, since: int) -> tuple[list[RawItem], dict]:
        """New comments under a post (oldest first) and the post's new state."""

    def poll_more(self, api: SocialClient, cursor: dict, since: int, poll: Poll) -> dict:
        """Sources other than feeds (VK's searches): their cursor sections, read into `poll`."""
        return {}

    @abc.abstractmethod
    def read_post(self, item: RawItem, payload: dict, post: dict, where: str) -> NormalisedMessage | None:
        """The message of a stored post that is there and not deleted (`where` names it in reasons);
        None when it carries nothing to act on."""

    @abc.abstractmethod
    def read_comment(self, item: RawItem, payload: dict, comment: dict, where: str) -> NormalisedMessage | None:
        """The same for a stored comment."""

    @abc.abstractmethod
    def reply_address(self, reply_to: dict) -> ReplyAddress[Id]:
        """Where a message's `reply_to` says to answer; DeliveryError (final) when it does not say enough."""

    @abc.abstractmethod
    def reply(self, api: SocialClient, to: ReplyAddress[Id], text: str) -> str:
        """Publish `text` at `to`; returns the external id of the new comment."""

    # -- inbound ---------------------------------------------------------------------------
    def client_options(self) -> dict[str, Any]:
        """What every client takes from the settings, besides its credentials."""
        s = self.settings
        return {"api_url": s.api_url, "timeout": s.timeout, "min_interval": s.min_interval, "max_retries": s.max_retries}

    def poll(self, cursor: dict) -> tuple[Iterable[RawItem], dict]:
        cursor = cursor or {}
        since = int((clock.now() - dt.timedelta(hours=self.settings.lookback_hours)).timestamp() * self.ticks_per_second)
        feeds_section, threads_section = self.cursor_sections
        feeds = dict(cursor.get(feeds_section) or {})
        threads = dict(cursor.get(threads_section) or {})
        with self.client() as api:
            poll = Poll(api.errors)
            for feed in self.feeds():
                key = str(feed)
                read = self.unless_closed(poll, f"feed {key}", partial(self.read_feed, api, feed, feeds.get(key), since), source=True)
                if read is None:
                    continue
                found, recent, feeds[key] = read
                poll.items.extend(found)
                if self.settings.listen_comments:
                    threads = self._read_threads(api, poll, feed, recent, threads, since)
            more = self.poll_more(api, cursor, since, poll)
        if poll.closed and len(poll.closed) == poll.sources:
            # Nothing could be read at all: say so, so the channel shows the error to an operator.
            raise poll.closed[-1]
        return poll.items, {feeds_section: feeds, threads_section: threads, **more}

    def _read_threads(self, api: SocialClient, poll: Poll, feed: Id, recent: list[Id], threads: dict, since: int) -> dict:
        """Comments under the feed's recent posts. The cursor keeps only those posts of the feed, so it
        does not grow with every post ever read."""
        prefix = f"{feed}_"
        kept = {k: v for k, v in threads.items() if not k.startswith(prefix)}
        for post in recent:
            key = f"{prefix}{post}"
            read = self.unless_closed(poll, f"comments {key}", partial(self.read_thread, api, feed, post, threads.get(key), since), source=False)
            if read is None:
                continue
            found, kept[key] = read
            poll.items.extend(found)
        return kept

    def unless_closed(self, poll: Poll, where: str, read: Callable[[], T], *, source: bool) -> T | None:
        """`read()`, or None when what it reads is closed, deleted or private to us: that is skipped
        (and logged) so the rest keeps being read, and, for a `source`, counted towards "nothing could
        be read". Any other error stops the poll; the core retries it later."""
        if source:
            poll.sources += 1
        try:
            return read()
        except ServiceError as exc:
            if not poll.errors.skips_source(exc):
                raise
            logging.getLogger(f"tsur.channels.{self.kind}").warning("%s: %s skipped: %s", self.kind, where, exc.reason)
            if source:
                poll.closed.append(exc)
            return None

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        payload = item.payload
        post = self.post_envelope
        if not isinstance(payload, dict) or payload.get("type") not in (post.type, "comment"):
            raise ChannelError(f"{self.label}: запись {item.external_id}: неизвестный формат (нужен объект с type = {post.type} или comment)")
        if payload["type"] == "comment":
            noun, missing, read = "комментарий", "нет объекта «comment»", self.read_comment
        else:
            noun, missing, read = post.noun, post.missing, self.read_post
        obj = payload.get(payload["type"])
        if not isinstance(obj, dict):
            raise ChannelError(f"{self.label}: {noun} {item.external_id}: {missing}")
        if is_deleted(obj):
            return None
        return read(item, payload, obj, f"{noun} {item.external_id}")

    def public_message(self, item: RawItem, payload: dict, *, kind: str, text: str, when: int, **fields: Any) -> NormalisedMessage:
        """A public post or comment (screened for complaints; the incident regime). The author's
        display name was put in the envelope when the item was read."""
        return NormalisedMessage(
            external_id=item.external_id,
            text=text,
            kind=kind,
            created_at=dt.datetime.fromtimestamp(when / self.ticks_per_second, tz=dt.UTC),
            author_name=str(payload.get("author_name") or ""),
            is_public=True,
            **fields,
        )

    # -- outbound --------------------------------------------------------------------------
    def deliver(self, reply_to: dict, text: str) -> str:
        to = self.reply_address(reply_to or {})
        if not (text or "").strip():
            raise DeliveryError(f"{self.label}: пустой текст ответа", retryable=False)
        try:
            with self.client() as api:
                return self.reply(api, to, text)
        except ServiceError as exc:
            raise DeliveryError(exc.reason, retryable=exc.retryable, retry_after=exc.retry_after) from exc


# -- helpers ---------------------------------------------------------------------------------


def is_deleted(obj: dict) -> bool:
    return bool(obj.get("is_deleted") or obj.get("deleted"))


def each_item(value: Any, read: Callable[[Any], T]) -> list[T] | Any:
    """A list setting read item by item (`read` raises ValueError with the reason); anything else
    is left to the field's own type check, which words it."""
    return [read(raw) for raw in value] if isinstance(value, list) else value


def http_url(value: str, example: str) -> str:
    """An API address: http(s) with a host (tests point it at 127.0.0.1)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"api_url должен быть адресом http(s), например {example}; получено «{value}»")
    return value
