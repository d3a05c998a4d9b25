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
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import zoneinfo
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tsur.channels.base import ChannelError, ChannelPlugin, DeliveryError, NormalisedMessage, RawItem
from tsur.channels.ok.client import DEFAULT_API_URL, OkClient, OkError, OkProtocolError
from tsur.channels.registry import register
from tsur.core import clock

log = logging.getLogger("tsur.channels.ok")

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
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"api_url должен быть адресом http(s), например {DEFAULT_API_URL}; получено «{value}»")
        return value

    @field_validator("group_ids", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for raw in value:
            text = str(raw).strip()
            if not re.fullmatch(r"\d{1,20}", text) or int(text) == 0:
                raise ValueError(f"идентификатор группы — положительное число (например, 53038939046008), получено «{raw}»")
            out.append(text)
        return out

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
class OkPlugin(ChannelPlugin):
    kind: ClassVar[str] = "ok"
    label: ClassVar[str] = "Одноклассники"
    settings_model: ClassVar[type[BaseModel]] = OkSettings

    settings: OkSettings

    def client(self) -> OkClient:
        s = self.settings
        return OkClient(
            application_key=s.application_key,
            application_secret_key=s.application_secret_key,
            access_token=s.access_token,
            api_url=s.api_url,
            timeout=s.timeout,
            min_interval=s.min_interval,
            max_retries=s.max_retries,
        )

    @property
    def _zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.settings.timezone)

    # -- inbound ---------------------------------------------------------------------------
    def poll(self, cursor: dict) -> tuple[Iterable[RawItem], dict]:
        cursor = cursor or {}
        since_ms = int((clock.now() - dt.timedelta(hours=self.settings.lookback_hours)).timestamp() * 1000)
        groups = dict(cursor.get("groups") or {})
        topics = dict(cursor.get("topics") or {})
        items: list[RawItem] = []
        closed: list[OkError] = []  # groups skipped because the application may not read them
        with self.client() as api:
            for gid in self.settings.group_ids:
                try:
                    found, recent, groups[gid] = self._read_feed(api, gid, groups.get(gid), since_ms)
                except OkError as exc:
                    if getattr(exc, "is_access", False):
                        log.warning("ok: feed of group %s skipped: %s", gid, exc.reason)
                        closed.append(exc)
                        continue
                    raise
                items.extend(found)
                if not self.settings.listen_comments:
                    continue
                kept = {k: v for k, v in topics.items() if not k.startswith(f"{gid}_")}
                for topic_id in recent:
                    key = f"{gid}_{topic_id}"
                    try:
                        found, kept[key] = self._read_comments(api, gid, topic_id, topics.get(key), since_ms)
                    except OkError as exc:
                        if getattr(exc, "is_access", False):
                            log.warning("ok: comments of topic %s skipped: %s", key, exc.reason)
                            continue
                        raise
                    items.extend(found)
                topics = kept
        if closed and len(closed) == len(self.settings.group_ids):
            # Nothing could be read at all: say so, so the channel shows the error to an operator.
            raise closed[-1]
        return items, {"groups": groups, "topics": topics}

    def _read_feed(self, api: OkClient, gid: str, state: dict | None, since_ms: int) -> tuple[list[RawItem], list[str], dict]:
        last_ms, seen = _state(state, "last_ms")
        newest, at_newest = (last_ms, set(seen)) if last_ms is not None else (since_ms, set())
        new: list[RawItem] = []
        recent: list[str] = []
        anchor = None
        for _page in range(self.settings.max_pages):
            params: dict[str, Any] = {"gid": gid, "count": self.settings.page_size, "fields": TOPIC_FIELDS}
            if anchor:
                params["anchor"] = anchor
            answer = api.call("mediatopic.getTopics", params)
            page = _list_of(answer, "media_topics", "mediatopic.getTopics")
            names = _entity_names(answer)
            oldest_on_page = None
            for topic in page:
                topic_id = _require_id(topic, "id", "mediatopic.getTopics")
                created = _require_int(topic, "created_ms", "mediatopic.getTopics")
                oldest_on_page = created if oldest_on_page is None else min(oldest_on_page, created)
                count = _comments_count(topic)
                if len(recent) < self.settings.comment_topics and count != 0 and not _is_deleted(topic):
                    recent.append(topic_id)
                if not _is_newer(created, topic_id, last_ms, seen, since_ms):
                    continue
                new.append(_topic_item(gid, topic, names))
                if created > newest:
                    newest, at_newest = created, {topic_id}
                elif created == newest:
                    at_newest.add(topic_id)
            anchor = answer.get("anchor") if isinstance(answer, dict) else None
            floor = last_ms if last_ms is not None else since_ms
            if not page or not answer.get("has_more") or not anchor or (oldest_on_page is not None and oldest_on_page < floor):
                break
        new.sort(key=lambda item: int(item.payload["topic"]["created_ms"]))
        return new, recent, {"last_ms": newest, "seen": sorted(at_newest)}

    def _read_comments(self, api: OkClient, gid: str, topic_id: str, state: dict | None, since_ms: int) -> tuple[list[RawItem], dict]:
        last_ms, seen = _state(state, "last_ms")
        newest, at_newest = (last_ms, set(seen)) if last_ms is not None else (since_ms, set())
        new: list[RawItem] = []
        anchor = None
        for _page in range(self.settings.comment_pages):
            params: dict[str, Any] = {
                "discussionId": topic_id,
                "discussionType": DISCUSSION_TYPE,
                "count": _COMMENTS_PAGE,
                "fields": COMMENT_FIELDS,
            }
            if anchor:
                params["anchor"] = anchor
            answer = api.call("discussions.getComments", params)
            page = _list_of(answer, "comments", "discussions.getComments")
            names = _entity_names(answer)
            for comment in page:
                comment_id = _require_id(comment, "id", "discussions.getComments")
                when = _comment_ms(comment, self._zone, "discussions.getComments")
                if not _is_newer(when, comment_id, last_ms, seen, since_ms):
                    continue
                new.append(_comment_item(gid, topic_id, comment, names))
                if when > newest:
                    newest, at_newest = when, {comment_id}
                elif when == newest:
                    at_newest.add(comment_id)
            anchor = answer.get("anchor") if isinstance(answer, dict) else None
            if not page or not answer.get("has_more") or not anchor:
                break
        new.sort(key=lambda item: _comment_ms(item.payload["comment"], self._zone, "discussions.getComments"))
        return new, {"last_ms": newest, "seen": sorted(at_newest)}

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        payload = item.payload
        if not isinstance(payload, dict) or payload.get("type") not in ("topic", "comment"):
            raise ChannelError(f"Одноклассники: запись {item.external_id}: неизвестный формат (нужен объект с type = topic или comment)")
        if payload["type"] == "topic":
            return self._normalise_topic(item, payload)
        return self._normalise_comment(item, payload)

    def _normalise_topic(self, item: RawItem, payload: dict) -> NormalisedMessage | None:
        topic = payload.get("topic")
        if not isinstance(topic, dict):
            raise ChannelError(f"Одноклассники: тема {item.external_id}: нет объекта «topic»")
        if _is_deleted(topic):
            return None
        where = f"тема {item.external_id}"
        gid = _require_id(payload, "group_id", where)
        topic_id = _require_id(topic, "id", where)
        created = _require_int(topic, "created_ms", where)
        media = topic.get("media")
        if media is not None and not isinstance(media, list):
            raise OkProtocolError(f"Одноклассники: {where}: поле «media» должно быть списком", retryable=False)
        text = _media_text(media or [])
        if not text:
            return None
        return NormalisedMessage(
            external_id=item.external_id,
            text=text,
            kind="post",
            created_at=dt.datetime.fromtimestamp(created / 1000, tz=dt.UTC),
            author_name=str(payload.get("author_name") or ""),
            author_link=_ref_link(str(topic.get("author_ref") or f"group:{gid}")),
            reply_to={"group_id": gid, "topic_id": topic_id},
            is_public=True,
            extra={"url": f"https://ok.ru/group/{gid}/topic/{topic_id}"},
        )

    def _normalise_comment(self, item: RawItem, payload: dict) -> NormalisedMessage | None:
        comment = payload.get("comment")
        if not isinstance(comment, dict):
            raise ChannelError(f"Одноклассники: комментарий {item.external_id}: нет объекта «comment»")
        if _is_deleted(comment):
            return None
        where = f"комментарий {item.external_id}"
        gid = _require_id(payload, "group_id", where)
        topic_id = _require_id(payload, "topic_id", where)
        comment_id = _require_id(comment, "id", where)
        when = _comment_ms(comment, self._zone, where)
        text = str(comment.get("text") or "").strip()
        if not text:
            return None
        author = str(comment.get("author_id") or "").strip()
        kind = str(comment.get("author_type") or "USER").upper()
        return NormalisedMessage(
            external_id=item.external_id,
            text=text,
            kind="comment",
            created_at=dt.datetime.fromtimestamp(when / 1000, tz=dt.UTC),
            author_name=str(payload.get("author_name") or ""),
            author_link=_ref_link(f"{'group' if kind == 'GROUP' else 'user'}:{author}") if author else "",
            reply_to={"group_id": gid, "topic_id": topic_id, "comment_id": comment_id},
            is_public=True,
            extra={"url": f"https://ok.ru/group/{gid}/topic/{topic_id}"},
        )

    # -- outbound --------------------------------------------------------------------------
    def deliver(self, reply_to: dict, text: str) -> str:
        reply_to = reply_to or {}
        gid = str(reply_to.get("group_id") or "").strip()
        topic_id = str(reply_to.get("topic_id") or "").strip()
        comment_id = str(reply_to.get("comment_id") or "").strip()
        if not gid or not topic_id:
            raise DeliveryError("Одноклассники: неизвестно, куда отвечать (нужны group_id и topic_id темы)", retryable=False)
        if not (text or "").strip():
            raise DeliveryError("Одноклассники: пустой текст ответа", retryable=False)
        params: dict[str, Any] = {"discussionId": topic_id, "discussionType": DISCUSSION_TYPE, REPLY_TEXT_PARAM: text}
        if comment_id:
            params[REPLY_TO_COMMENT_PARAM] = comment_id
        try:
            with self.client() as api:
                answer = api.call(self.settings.reply_method, params)
        except OkError as exc:
            raise DeliveryError(exc.reason, retryable=exc.retryable, retry_after=exc.retry_after) from exc
        new_id = _new_comment_id(answer)
        if not new_id:
            raise DeliveryError(
                f"Одноклассники: {self.settings.reply_method}: в ответе нет идентификатора комментария — проверьте, опубликован ли ответ",
                retryable=False,
            )
        return f"topic{gid}_{topic_id}_c{new_id}"


# -- helpers ---------------------------------------------------------------------------------


def _state(state: dict | None, field: str) -> tuple[int | None, set[str]]:
    state = state if isinstance(state, dict) else {}
    value = state.get(field)
    last = value if isinstance(value, int) and not isinstance(value, bool) else None
    return last, {str(s) for s in state.get("seen") or []}


def _is_newer(when: int, object_id: str, last: int | None, seen: set[str], since: int) -> bool:
    if last is None:
        return when >= since
    return when > last or (when == last and object_id not in seen)


def _require_id(obj: dict, field: str, where: str) -> str:
    value = obj.get(field) if isinstance(obj, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise OkProtocolError(f"Одноклассники: {where}: нет поля «{field}»", retryable=False)
    return str(value).strip()


def _require_int(obj: dict, field: str, where: str) -> int:
    value = obj.get(field) if isinstance(obj, dict) else None
    if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise OkProtocolError(f"Одноклассники: {where}: нет числового поля «{field}»", retryable=False)
    return value


def _list_of(answer: Any, field: str, method: str) -> list[dict]:
    """A list field of an answer; an absent field means an empty list (OK omits empty lists)."""
    if not isinstance(answer, dict):
        raise OkProtocolError(f"Одноклассники: {method}: ответ не является JSON-объектом", retryable=False)
    value = answer.get(field, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise OkProtocolError(f"Одноклассники: {method}: поле «{field}» должно быть списком объектов", retryable=False)
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


def _is_deleted(obj: dict) -> bool:
    return bool(obj.get("deleted") or obj.get("is_deleted"))


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
        raise OkProtocolError(f"Одноклассники: {where}: дата комментария «{raw}» не в формате yyyy-MM-dd HH:mm:ss", retryable=False) from None
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


def _comment_item(gid: str, topic_id: str, comment: dict, names: dict[str, str]) -> RawItem:
    kind = "group" if str(comment.get("author_type") or "").upper() == "GROUP" else "user"
    payload = {
        "type": "comment",
        "group_id": gid,
        "topic_id": topic_id,
        "comment": comment,
        "author_name": _author_name(f"{kind}:{comment.get('author_id')}", names),
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
