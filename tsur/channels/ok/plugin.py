"""OK (Одноклассники): listening to configured groups' topics and their comments, answering in the
same discussion.

Listening, through the REST API methods named in the official documentation:
- a group's feed of topics: `mediatopic.getTopics` (gid, count, anchor, fields);
- comments of a topic: `discussions.getComments` (discussionId, discussionType=GROUP_TOPIC, count, anchor).
Answering: `reply_method` from the settings (default `discussions.addComment`, see the fixtures README:
the exact writing method and its parameter names are an assumption to confirm with OK's support,
which grants write access to group discussions per application).

The cursor remembers, per group and per topic, the newest timestamp seen and the ids seen at that
timestamp (OK's ids are opaque strings, so they are not compared by size). Raw payloads are an
envelope {"type": "topic"|"comment", "group_id", ...} with OK's object untouched under "topic" /
"comment".

The flow (poll, skipping closed sources, normalising an envelope, replying) is shared with VK in
`tsur.channels.social.plugin`; this module keeps OK's settings, methods, paging and fields.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tsur.channels.base import DeliveryError, NormalisedMessage, RawItem
from tsur.channels.ok.client import DEFAULT_API_URL, ERRORS, OkClient
from tsur.channels.registry import register
from tsur.channels.social.plugin import PostEnvelope, ReplyAddress, SocialPlugin, Watermark, each_item, http_url, is_deleted

DEFAULT_REPLY_METHOD = "discussions.addComment"
DISCUSSION_TYPE = "GROUP_TOPIC"
TOPIC_FIELDS = "media_topic.*,user.name,group.name"
COMMENT_FIELDS = "user.name,group.name"
COMMENT_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"
_COMMENTS_PAGE = 100
# Parameter names of the writing method (assumptions, see the module docstring).
REPLY_TEXT_PARAM = "text"
REPLY_TO_COMMENT_PARAM = "reply_to_comment_id"


class OkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    application_key: str = Field(min_length=1, description="публичный ключ приложения")
    application_secret_key: str = Field(min_length=1, repr=False, description="секретный ключ приложения")
    access_token: str = Field(min_length=1, repr=False, description="ключ сессии (access_token) администратора групп")
    api_url: str = Field(default=DEFAULT_API_URL, description="адрес fb.do, по умолчанию официальный")
    group_ids: list[str] = Field(min_length=1, description="группы, ленту и комментарии которых слушаем")
    listen_comments: bool = True
    comment_topics: int = Field(default=10, ge=0, le=100, description="у скольких последних тем читать комментарии")
    page_size: int = Field(default=20, ge=1, le=100, description="тем на одну страницу mediatopic.getTopics")
    max_pages: int = Field(default=3, ge=1, le=20, description="страниц лент за один опрос на группу")
    comment_pages: int = Field(default=5, ge=1, le=50, description="страниц комментариев за один опрос на тему")
    lookback_hours: int = Field(default=24, ge=0, le=24 * 30, description="насколько назад смотреть при первом опросе")
    reply_method: str = Field(default=DEFAULT_REPLY_METHOD, description="метод REST API для ответа в обсуждении")
    poll_interval: int = Field(default=300, ge=30, le=86400, description="как часто опрашивать, с")
    timezone: str = Field(default="Europe/Moscow", description="часовой пояс дат комментариев («yyyy-MM-dd HH:mm:ss»)")
    timeout: float = Field(default=10.0, gt=0, le=120)
    min_interval: float = Field(default=0.2, ge=0, le=10, description="пауза между запросами, с")
    max_retries: int = Field(default=2, ge=0, le=5, description="повторов при ошибке 2 «сервис недоступен»")

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return http_url(value, DEFAULT_API_URL)

    @field_validator("group_ids", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        return each_item(value, _group_id)

    @field_validator("reply_method")
    @classmethod
    def _method(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z]+\.[A-Za-z]+", value):
            raise ValueError(f"reply_method — имя метода вида discussions.addComment, получено «{value}»")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"неизвестный часовой пояс «{value}» (пример: Europe/Moscow)") from None
        return value

    @model_validator(mode="after")
    def _distinct(self) -> OkSettings:
        if len(set(self.group_ids)) != len(self.group_ids):
            raise ValueError("group_ids: группы повторяются")
        return self


@register
class OkPlugin(SocialPlugin[str]):
    kind: ClassVar[str] = "ok"
    label: ClassVar[str] = "Одноклассники"
    settings_model: ClassVar[type[BaseModel]] = OkSettings
    post_envelope: ClassVar[PostEnvelope] = PostEnvelope("topic", "тема", missing="нет объекта «topic»")
    cursor_sections: ClassVar[tuple[str, str]] = ("groups", "topics")
    ticks_per_second: ClassVar[int] = 1000  # created_ms, and comment dates are read as milliseconds too

    settings: OkSettings

    def client(self) -> OkClient:
        s = self.settings
        keys = {"application_key": s.application_key, "application_secret_key": s.application_secret_key, "access_token": s.access_token}
        return OkClient(**keys, **self.client_options())

    @property
    def _zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.settings.timezone)

    # -- inbound ---------------------------------------------------------------------------
    def feeds(self) -> list[str]:
        return list(self.settings.group_ids)

    def read_feed(self, api: OkClient, gid: str, state: dict | None, since_ms: int) -> tuple[list[RawItem], list[str], dict]:
        mark = Watermark(state, "last_ms", since_ms)
        new: list[RawItem] = []
        recent: list[str] = []
        params = {"gid": gid, "count": self.settings.page_size, "fields": TOPIC_FIELDS}
        for answer, page in _anchored(api, "mediatopic.getTopics", params, "media_topics", self.settings.max_pages):
            names = _entity_names(answer)
            oldest_on_page = None
            for topic in page:
                topic_id = _require_id(topic, "id", "mediatopic.getTopics")
                created = _require_int(topic, "created_ms", "mediatopic.getTopics")
                oldest_on_page = created if oldest_on_page is None else min(oldest_on_page, created)
                if len(recent) < self.settings.comment_topics and _comments_count(topic) != 0 and not is_deleted(topic):
                    recent.append(topic_id)
                if mark.is_new(created, topic_id):
                    new.append(_topic_item(gid, topic, names))
                    mark.saw(created, topic_id)
            if oldest_on_page is not None and oldest_on_page < mark.floor:
                break  # the feed is newest first: the next page holds only what was seen
        new.sort(key=lambda item: int(item.payload["topic"]["created_ms"]))
        return new, recent, mark.state()

    def read_thread(self, api: OkClient, gid: str, topic_id: str, state: dict | None, since_ms: int) -> tuple[list[RawItem], dict]:
        mark = Watermark(state, "last_ms", since_ms)
        new: list[RawItem] = []
        params = {"discussionId": topic_id, "discussionType": DISCUSSION_TYPE, "count": _COMMENTS_PAGE, "fields": COMMENT_FIELDS}
        for answer, page in _anchored(api, "discussions.getComments", params, "comments", self.settings.comment_pages):
            names = _entity_names(answer)
            for comment in page:
                comment_id = _require_id(comment, "id", "discussions.getComments")
                when = _comment_ms(comment, self._zone, "discussions.getComments")
                if mark.is_new(when, comment_id):
                    new.append(_comment_item(gid, topic_id, comment, names))
                    mark.saw(when, comment_id)
        new.sort(key=lambda item: _comment_ms(item.payload["comment"], self._zone, "discussions.getComments"))
        return new, mark.state()

    def read_post(self, item: RawItem, payload: dict, topic: dict, where: str) -> NormalisedMessage | None:
        gid = _require_id(payload, "group_id", where)
        topic_id = _require_id(topic, "id", where)
        created = _require_int(topic, "created_ms", where)
        media = topic.get("media")
        if media is not None and not isinstance(media, list):
            raise ERRORS.protocol(where, "поле «media» должно быть списком")
        text = _media_text(media or [])
        if not text:
            return None
        return self.public_message(
            item,
            payload,
            kind="post",
            text=text,
            when=created,
            author_link=_ref_link(str(topic.get("author_ref") or f"group:{gid}")),
            reply_to={"group_id": gid, "topic_id": topic_id},
            extra={"url": f"https://ok.ru/group/{gid}/topic/{topic_id}"},
        )

    def read_comment(self, item: RawItem, payload: dict, comment: dict, where: str) -> NormalisedMessage | None:
        gid = _require_id(payload, "group_id", where)
        topic_id = _require_id(payload, "topic_id", where)
        comment_id = _require_id(comment, "id", where)
        when = _comment_ms(comment, self._zone, where)
        text = str(comment.get("text") or "").strip()
        if not text:
            return None
        author = str(comment.get("author_id") or "").strip()
        return self.public_message(
            item,
            payload,
            kind="comment",
            text=text,
            when=when,
            author_link=_ref_link(f"{_author_kind(comment)}:{author}") if author else "",
            reply_to={"group_id": gid, "topic_id": topic_id, "comment_id": comment_id},
            extra={"url": f"https://ok.ru/group/{gid}/topic/{topic_id}"},
        )

    # -- outbound --------------------------------------------------------------------------
    def reply_address(self, reply_to: dict) -> ReplyAddress[str]:
        gid = str(reply_to.get("group_id") or "").strip()
        topic_id = str(reply_to.get("topic_id") or "").strip()
        if not gid or not topic_id:
            raise DeliveryError("Одноклассники: неизвестно, куда отвечать (нужны group_id и topic_id темы)", retryable=False)
        return ReplyAddress(gid, topic_id, str(reply_to.get("comment_id") or "").strip() or None)

    def reply(self, api: OkClient, to: ReplyAddress[str], text: str) -> str:
        params: dict[str, Any] = {"discussionId": to.post, "discussionType": DISCUSSION_TYPE, REPLY_TEXT_PARAM: text}
        if to.comment:
            params[REPLY_TO_COMMENT_PARAM] = to.comment
        answer = api.call(self.settings.reply_method, params)
        new_id = _new_comment_id(answer)
        if not new_id:
            raise DeliveryError(
                f"Одноклассники: {self.settings.reply_method}: в ответе нет идентификатора комментария — проверьте, опубликован ли ответ",
                retryable=False,
            )
        return f"topic{to.feed}_{to.post}_c{new_id}"


# -- helpers ---------------------------------------------------------------------------------


def _group_id(raw: Any) -> str:
    """A group as configured: a positive number, kept as a string like every OK id."""
    text = str(raw).strip()
    if not re.fullmatch(r"\d{1,20}", text) or int(text) == 0:
        raise ValueError(f"идентификатор группы — положительное число (например, 53038939046008), получено «{raw}»")
    return text


def _anchored(api: OkClient, method: str, params: dict[str, Any], field: str, max_pages: int) -> Iterator[tuple[dict, list[dict]]]:
    """OK's paging: each answer and its list `field`; an answer names the `anchor` of the next page
    and says `has_more`."""

    def follow(answer: dict) -> dict | None:
        anchor = answer.get("anchor")
        return {"anchor": anchor} if answer.get(field) and answer.get("has_more") and anchor else None

    for answer in api.pages(method, params, max_pages=max_pages, follow=follow):
        yield answer, _list_of(answer, field, method)


def _require_id(obj: dict, field: str, where: str) -> str:
    value = obj.get(field) if isinstance(obj, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ERRORS.protocol(where, f"нет поля «{field}»")
    return str(value).strip()


def _require_int(obj: dict, field: str, where: str) -> int:
    value = obj.get(field) if isinstance(obj, dict) else None
    if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ERRORS.protocol(where, f"нет числового поля «{field}»")
    return value


def _list_of(answer: Any, field: str, method: str) -> list[dict]:
    """A list field of an answer; an absent field means an empty list (OK omits empty lists)."""
    if not isinstance(answer, dict):
        raise ERRORS.protocol(method, "ответ не является JSON-объектом")
    value = answer.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ERRORS.protocol(method, f"поле «{field}» должно быть списком объектов")
    return value


def _entity_names(answer: Any) -> dict[str, str]:
    """Display names from the "entities" block: "user:<uid>" / "group:<uid>" -> name."""
    names: dict[str, str] = {}
    entities = answer.get("entities") if isinstance(answer, dict) else None
    if not isinstance(entities, dict):
        return names
    for kind, prefix in (("users", "user"), ("groups", "group")):
        for entity in entities.get(kind) or []:
            if isinstance(entity, dict):
                uid = entity.get("uid") or entity.get("id")
                if uid:
                    names[f"{prefix}:{uid}"] = str(entity.get("name") or "")
    return names


def _comments_count(topic: dict) -> int | None:
    summary = topic.get("discussion_summary")
    if not isinstance(summary, dict):
        return None  # unknown: read the comments anyway
    count = summary.get("comments_count")
    return count if isinstance(count, int) and not isinstance(count, bool) else None


def _media_text(media: list) -> str:
    """Text blocks of a media topic plus link titles/descriptions and poll questions."""
    parts: list[str] = []
    for block in media:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind == "text":
            values = [block.get("text")]
        elif kind == "link":
            values = [block.get("title"), block.get("description")]
        elif kind == "poll":
            values = [block.get("question")]
        else:
            values = []
        for value in values:
            value = str(value or "").strip()
            if value and value not in parts:
                parts.append(value)
    return "\n".join(parts).strip()


def _comment_ms(comment: dict, zone: zoneinfo.ZoneInfo, where: str) -> int:
    raw = comment.get("date") if isinstance(comment, dict) else None
    try:
        moment = dt.datetime.strptime(str(raw), COMMENT_DATE_FORMAT).replace(tzinfo=zone)
    except ValueError:
        raise ERRORS.protocol(where, f"дата комментария «{raw}» не в формате yyyy-MM-dd HH:mm:ss") from None
    return int(moment.timestamp() * 1000)


def _ref_link(ref: str) -> str:
    kind, _, ident = ref.partition(":")
    if not ident:
        return ""
    return f"https://ok.ru/group/{ident}" if kind == "group" else f"https://ok.ru/profile/{ident}"


def _author_name(ref: str, names: dict[str, str]) -> str:
    return names.get(ref, "")


def _topic_item(gid: str, topic: dict, names: dict[str, str]) -> RawItem:
    payload = {"type": "topic", "group_id": gid, "topic": topic, "author_name": _author_name(str(topic.get("author_ref") or ""), names)}
    return RawItem(external_id=f"topic{gid}_{topic['id']}", payload=payload, kind="post")


def _author_kind(comment: dict) -> str:
    """How an entity reference names a comment's author: "group" or "user" (the default)."""
    return "group" if str(comment.get("author_type") or "").upper() == "GROUP" else "user"


def _comment_item(gid: str, topic_id: str, comment: dict, names: dict[str, str]) -> RawItem:
    payload = {
        "type": "comment",
        "group_id": gid,
        "topic_id": topic_id,
        "comment": comment,
        "author_name": _author_name(f"{_author_kind(comment)}:{comment.get('author_id')}", names),
    }
    return RawItem(external_id=f"topic{gid}_{topic_id}_c{comment['id']}", payload=payload, kind="comment")


def _new_comment_id(answer: Any) -> str:
    if isinstance(answer, dict):
        value = answer.get("id") or answer.get("comment_id")
    else:
        value = answer
    if isinstance(value, bool) or not isinstance(value, str | int):
        return ""
    return str(value).strip()
