"""The Telegram channel: one bot, two ways in.

1. Residents write to the bot privately. The bot asks for the problem, the place (a location or
   a typed address) and an optional photo; a finished conversation becomes ONE raw item holding
   all of its updates untouched. Unfinished conversations live in the channel cursor, so a
   restart or another worker continues them.
2. The bot is a member of public channels' discussion groups (chat ids in the settings): every
   message there is a public comment (incident regime, screened for complaints). For the bot to
   see ordinary group messages, its privacy mode must be off (BotFather) or it must be an admin.

Answers are sent to the chat the message came from, as a reply to the resident's message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tsur.channels.base import ChannelError, ChannelPlugin, DeliveryError, NormalisedMessage, RawItem
from tsur.channels.registry import register
from tsur.channels.telegram.client import DEFAULT_BASE_URL, MAX_DOWNLOAD_BYTES, BotApi, TelegramApiError
from tsur.channels.telegram.conversation import DONE, PHOTO, PLACE, TEXT, Conversation
from tsur.channels.telegram.types import Message, PhotoSize, largest_photo, parse_update
from tsur.core import clock

logger = logging.getLogger(__name__)

# sendMessage takes 1-4096 characters of text.
MAX_MESSAGE_LENGTH = 4096
ALLOWED_UPDATES = ["message"]


class TelegramPrompts(BaseModel):
    """What the bot says; data, so the center can word it its own way."""

    model_config = ConfigDict(extra="forbid")

    ask_text: str = "Здравствуйте! Опишите, пожалуйста, проблему: что случилось?"
    ask_place: str = "Где это? Отправьте геопозицию кнопкой ниже или напишите адрес."
    location_button: str = "📍 Отправить геопозицию"
    ask_photo: str = "Приложите фотографию или нажмите «Пропустить»."
    skip_button: str = "Пропустить"
    done: str = "Спасибо! Обращение принято. Ответ придёт в этот чат."
    cancelled: str = "Обращение отменено. Чтобы начать заново, напишите /start."


class TelegramSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(repr=False, pattern=r"^\d+:[A-Za-z0-9_-]+$", description="токен бота от BotFather")
    base_url: str = Field(DEFAULT_BASE_URL, description="адрес Bot API (свой сервер Bot API или тестовый)")
    private_conversations: bool = Field(True, description="принимать обращения в личных сообщениях боту")
    discussion_chat_ids: list[int] = Field(default_factory=list, description="чаты обсуждений публичных каналов")
    poll_interval: int = Field(60, ge=1, le=3600, description="как часто опрашивать Telegram, секунд")
    long_poll_timeout: int = Field(0, ge=0, le=50, description="секунд ждать новых обновлений (long polling)")
    updates_limit: int = Field(100, ge=1, le=100)
    conversation_ttl_hours: float = Field(24.0, gt=0, description="через сколько часов брошенный разговор забывается")
    max_photo_bytes: int = Field(10 * 1024 * 1024, gt=0, le=MAX_DOWNLOAD_BYTES)
    max_photos: int = Field(5, ge=0, le=10)
    request_timeout: float = Field(30.0, gt=0, le=120)
    prompts: TelegramPrompts = Field(default_factory=TelegramPrompts)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("адрес должен начинаться с https:// или http://")
        return value.rstrip("/")


@register
class TelegramPlugin(ChannelPlugin):
    kind: ClassVar[str] = "telegram"
    label: ClassVar[str] = "Telegram"
    private_appeal_channel: ClassVar[str] = "telegram_bot"  # a resident writing to the bot: message regime
    settings_model: ClassVar[type[BaseModel]] = TelegramSettings
    settings: TelegramSettings

    def __init__(self, settings: BaseModel, *, api: BotApi | None = None):
        super().__init__(settings)
        self.api = api or BotApi(self.settings.token, base_url=self.settings.base_url, timeout=self.settings.request_timeout)

    # -- inbound ---------------------------------------------------------------------------
    def poll(self, cursor: dict) -> tuple[Iterable[RawItem], dict]:
        """getUpdates from the stored offset. Returns discussion-group messages, finished private
        conversations and updates that are not valid Updates (kept so they can be reviewed);
        the next cursor holds the offset and the unfinished conversations."""
        offset = cursor.get("offset")
        run = _PollRun(self, cursor)
        updates = self.api.get_updates(
            offset=offset, limit=self.settings.updates_limit, timeout=self.settings.long_poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        next_offset = offset
        for raw in updates:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if isinstance(update_id, int):
                next_offset = max(next_offset or 0, update_id + 1)
            run.take(raw, update_id)
        run.send_prompts()
        next_cursor = {"offset": next_offset, **run.state()}
        return run.items, next_cursor

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        payload = item.payload
        if isinstance(payload, dict) and payload.get("mode") == "private":
            return self._normalise_conversation(item)
        message = parse_update(payload).message
        if message is None:
            return None
        if message.chat.type == "private":
            raise ChannelError("личное сообщение Telegram вне разговора с ботом")
        return self._normalise_group_message(item, message)

    def _normalise_conversation(self, item: RawItem) -> NormalisedMessage:
        payload = item.payload
        chat_id, updates = payload.get("chat_id"), payload.get("updates")
        if not isinstance(chat_id, int) or not isinstance(updates, list) or not updates:
            raise ChannelError("разговор с ботом Telegram без чата или без сообщений")
        conversation = Conversation.replay(chat_id, updates, skip_label=self.settings.prompts.skip_button)
        # PHOTO is accepted too: the conversation was finished when it was stored, and only a
        # renamed "skip" button (settings edited since) can make the replay stop short of DONE.
        if conversation.step not in (DONE, PHOTO) or conversation.first_message is None:
            raise ChannelError("разговор с ботом Telegram не завершён: нет текста или места")
        author = conversation.author
        photos, photo_errors = self._download_photos(conversation.photos)
        return NormalisedMessage(
            external_id=item.external_id,
            text=conversation.text,
            kind="message",
            created_at=conversation.first_message.created_at,
            author_name=author.full_name if author else "",
            author_link=author.link if author else "",
            reply_to={"chat_id": chat_id, "message_id": conversation.reply_message_id},
            is_public=False,
            address=conversation.address,
            lat=conversation.location.latitude if conversation.location else None,
            lon=conversation.location.longitude if conversation.location else None,
            photos=photos,
            extra=_drop_empty(
                {
                    "mode": "private",
                    "photo_skipped": not conversation.photos,
                    "photo_errors": photo_errors,
                }
            ),
        )

    def _normalise_group_message(self, item: RawItem, message: Message) -> NormalisedMessage | None:
        if message.is_automatic_forward:
            return None  # the channel's own post copied into its discussion group
        if message.sender_chat is not None or (message.from_user and message.from_user.is_bot):
            return None  # written on behalf of a chat (the channel, an anonymous admin) or by a bot
        if not message.body:
            return None  # a service message, a sticker, a photo without words
        author = message.from_user
        photos, photo_errors = self._download_photos([message.photo] if message.photo else [])
        reply_to: dict = {"chat_id": message.chat.id, "message_id": message.message_id}
        if message.is_topic_message and message.message_thread_id:
            reply_to["message_thread_id"] = message.message_thread_id
        place = message.place
        return NormalisedMessage(
            external_id=item.external_id,
            text=message.body,
            kind="comment",
            created_at=message.created_at,
            author_name=author.full_name if author else "",
            author_link=author.link if author else "",
            reply_to=reply_to,
            is_public=True,
            lat=place.latitude if place else None,
            lon=place.longitude if place else None,
            photos=photos,
            extra=_drop_empty(
                {
                    "mode": "discussion",
                    "chat_title": message.chat.title,
                    "link": f"https://t.me/{message.chat.username}/{message.message_id}" if message.chat.username else "",
                    "photo_errors": photo_errors,
                }
            ),
        )

    def _download_photos(self, photos: list[list[PhotoSize]]) -> tuple[list[bytes], int]:
        """The largest fitting size of each photo. A photo Telegram will not give (too big, gone)
        is counted and left out; a transient failure raises so the whole item is tried again."""
        contents: list[bytes] = []
        failed = 0
        for sizes in photos[: self.settings.max_photos]:
            size = largest_photo(sizes, self.settings.max_photo_bytes)
            if size is None:
                failed += 1
                continue
            try:
                contents.append(self.api.download_file(size.file_id, max_bytes=self.settings.max_photo_bytes))
            except TelegramApiError as exc:
                if exc.retryable:
                    raise
                logger.warning("telegram: a photo was left out (%s %s)", exc.method, exc.error_code)
                failed += 1
        return contents, failed

    # -- outbound --------------------------------------------------------------------------
    def deliver(self, reply_to: dict, text: str) -> str:
        chat_id = reply_to.get("chat_id")
        if not isinstance(chat_id, int | str) or chat_id == "":
            raise DeliveryError("в сообщении Telegram нет чата для ответа", retryable=False)
        parts = split_message(text)
        if not parts:
            raise DeliveryError("пустой текст ответа", retryable=False)
        thread_id = reply_to.get("message_thread_id")
        reply_id = reply_to.get("message_id")
        sent: list[str] = []
        for index, part in enumerate(parts):
            kwargs = {"reply_to_message_id": reply_id if index == 0 else None, "message_thread_id": thread_id}
            try:
                result = self.api.send_message(chat_id, part, **kwargs)
            except TelegramApiError as exc:
                if not exc.migrate_to_chat_id:
                    raise _delivery_error(exc) from None
                # A group that became a supergroup has a new id; the old message ids stay valid there.
                chat_id = exc.migrate_to_chat_id
                try:
                    result = self.api.send_message(chat_id, part, **kwargs)
                except TelegramApiError as again:
                    raise _delivery_error(again) from None
            sent.append(f"{chat_id}:{result.get('message_id')}")
        return sent[0]


class _PollRun:
    """One getUpdates batch: routes each update, advances conversations, collects prompts."""

    def __init__(self, plugin: TelegramPlugin, cursor: dict):
        self.plugin = plugin
        self.settings: TelegramSettings = plugin.settings
        self.items: list[RawItem] = []
        self.open: dict[int, Conversation] = {}
        self.finished: dict[int, Conversation] = {}
        self.albums: dict[str, str] = dict(cursor.get("albums") or {})
        self.outbox: dict[int, list[str]] = {}
        self._load(cursor.get("conversations") or {})

    def _load(self, stored: dict) -> None:
        oldest = clock.now() - dt.timedelta(hours=self.settings.conversation_ttl_hours)
        expired = 0
        for key, value in stored.items():
            try:
                conversation = Conversation.replay(int(key), value.get("updates") or [], skip_label=self.settings.prompts.skip_button)
            except (ChannelError, ValueError, AttributeError):
                logger.warning("telegram: a stored conversation could not be read and was dropped")
                continue
            if dt.datetime.fromtimestamp(conversation.last_date, tz=dt.UTC) < oldest:
                expired += 1
                continue
            self.open[conversation.chat_id] = conversation
        if expired:
            logger.info("telegram: %d unfinished conversation(s) expired", expired)

    def state(self) -> dict:
        return {
            "conversations": {str(chat_id): {"updates": c.updates} for chat_id, c in self.open.items()},
            "albums": self.albums,
        }

    def take(self, raw: object, update_id: object) -> None:
        try:
            update = parse_update(raw)
        except ChannelError as exc:
            # Kept as an item so it is stored and shows up for review with the reason.
            logger.warning("telegram: update %s is malformed: %s", update_id, exc)
            self.items.append(RawItem(external_id=_malformed_id(raw, update_id), payload=raw, kind="message"))
            return
        message = update.message
        if message is None:
            logger.info("telegram: update %s carries no message, ignored", update.update_id)
            return
        if message.chat.type == "private":
            self._private(raw, message, update.update_id)
        elif message.chat.id in self.settings.discussion_chat_ids:
            self.items.append(RawItem(external_id=f"chat:{message.chat.id}:{message.message_id}", payload=raw, kind="comment"))
        else:
            # Group ids are not personal data and are what an administrator needs to configure.
            logger.info("telegram: update %s from %s chat %s that is not configured, ignored", update.update_id, message.chat.type, message.chat.id)

    def _private(self, raw: dict, message: Message, update_id: int) -> None:
        if not self.settings.private_conversations:
            logger.info("telegram: update %s is a private message, private conversations are off, ignored", update_id)
            return
        if message.from_user is not None and message.from_user.is_bot:
            return
        chat_id = message.chat.id
        finished = self.finished.get(chat_id)
        if finished is not None and finished.belongs_to_album(message):
            finished.feed(raw, message)
            return
        if message.photo and message.media_group_id and self.albums.get(str(chat_id)) == message.media_group_id:
            logger.info("telegram: update %s is a late photo of a finished conversation's album, ignored", update_id)
            return
        self.albums.pop(str(chat_id), None)
        if message.command == "/cancel":
            self.open.pop(chat_id, None)
            self._say(chat_id, "cancelled")
            return
        if message.command == "/start":
            self.open.pop(chat_id, None)
        conversation = self.open.get(chat_id)
        if conversation is None:
            conversation = self.open[chat_id] = Conversation(chat_id=chat_id, skip_label=self.settings.prompts.skip_button)
        conversation.feed(raw, message)
        if conversation.step == DONE:
            del self.open[chat_id]
            self.finished[chat_id] = conversation
            if conversation.media_group_id:
                self.albums[str(chat_id)] = conversation.media_group_id
            first = conversation.first_message
            self.items.append(
                RawItem(
                    external_id=f"private:{chat_id}:{first.message_id if first else update_id}",
                    payload={"mode": "private", "chat_id": chat_id, "updates": conversation.updates},
                    kind="message",
                )
            )
            self._say(chat_id, DONE)
        else:
            self._say(chat_id, conversation.step)

    def _say(self, chat_id: int, what: str) -> None:
        """Queue a prompt; within one batch only the latest prompt of an open conversation is
        sent (an album of five photos gets one question, not five)."""
        queue = self.outbox.setdefault(chat_id, [])
        if queue and queue[-1] in (TEXT, PLACE, PHOTO):
            queue[-1] = what
        else:
            queue.append(what)

    def send_prompts(self) -> None:
        prompts = self.settings.prompts
        for chat_id, queue in self.outbox.items():
            for what in queue:
                text, markup = _prompt(prompts, what)
                try:
                    self.plugin.api.send_message(chat_id, text, reply_markup=markup)
                except TelegramApiError as exc:
                    # The conversation goes on without the prompt; the resident may have blocked the bot.
                    logger.warning("telegram: a prompt was not sent (%s)", exc.error_code)


def _prompt(prompts: TelegramPrompts, what: str) -> tuple[str, dict]:
    remove = {"remove_keyboard": True}
    if what == TEXT:
        return prompts.ask_text, remove
    if what == PLACE:
        keyboard = [[{"text": prompts.location_button, "request_location": True}]]
        return prompts.ask_place, {"keyboard": keyboard, "resize_keyboard": True, "one_time_keyboard": True}
    if what == PHOTO:
        keyboard = [[{"text": prompts.skip_button}]]
        return prompts.ask_photo, {"keyboard": keyboard, "resize_keyboard": True, "one_time_keyboard": True}
    if what == DONE:
        return prompts.done, remove
    return prompts.cancelled, remove


def _delivery_error(exc: TelegramApiError) -> DeliveryError:
    code, description = exc.error_code, exc.description
    if code == 429:
        return DeliveryError(f"Telegram ограничил частоту отправки (429): {description}", retryable=True, retry_after=exc.retry_after)
    if code == 401:
        return DeliveryError("Telegram не принимает токен бота (401 Unauthorized): нужен действующий токен в настройках канала", retryable=False)
    if code == 403:
        return DeliveryError(f"бот не может писать в этот чат (403): {description}", retryable=False)
    if code == 400 and "chat not found" in description.lower():
        return DeliveryError(f"чат не найден (400): {description}", retryable=False)
    if exc.retryable:
        return DeliveryError(f"Telegram временно недоступен ({code}): {description}", retryable=True, retry_after=exc.retry_after)
    return DeliveryError(f"Telegram отклонил сообщение ({code}): {description}", retryable=False)


def split_message(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split at line breaks into parts Telegram accepts, counting UTF-16 code units (as the API
    counts characters) so that emoji do not push a part over the limit."""

    def length(s: str) -> int:
        return len(s.encode("utf-16-le")) // 2

    parts: list[str] = []
    current = ""
    for line in text.strip().splitlines(keepends=True):
        while length(line) > limit:
            cut = limit
            while length(line[:cut]) > limit:
                cut -= 1
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:]
        if length(current) + length(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current:
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _malformed_id(raw: object, update_id: object) -> str:
    if isinstance(update_id, int):
        return f"update:{update_id}"
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:32]
    return f"update:malformed:{digest}"


def _drop_empty(values: dict) -> dict:
    return {k: v for k, v in values.items() if v not in ("", None, [], 0) or isinstance(v, bool)}
