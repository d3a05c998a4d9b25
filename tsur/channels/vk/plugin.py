"""VK (ВКонтакте): listening to public posts and comments, answering in the same thread.

Listening sources, all read through the documented API methods:
- the walls of configured communities: `wall.get` with owner_id = -group_id;
- comments under the most recent posts of those walls: `wall.getComments`;
- keyword / area search over public posts: `newsfeed.search` (q, optional latitude/longitude).
  The documentation allows it with a user or a service access key, not with a community key.

The cursor remembers, per source, the newest thing already seen (a post id per wall, a comment id per
post, a date plus the ids seen at that date per search), so a second poll returns nothing new; the
core is idempotent on (channel, external id) as well.

Raw payloads are stored as an envelope {"type": "post"|"comment", "source": ..., ...} that keeps
VK's object untouched under "post" / "comment" and adds what is needed to read it later
(the owner and post of a comment, the author's display name from the `extended` answer).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tsur.channels.base import ChannelError, ChannelPlugin, DeliveryError, NormalisedMessage, RawItem
from tsur.channels.registry import register
from tsur.channels.vk.client import DEFAULT_API_URL, DEFAULT_VERSION, VkClient, VkError, VkProtocolError
from tsur.core import clock

log = logging.getLogger("tsur.channels.vk")

_MAX_COMMENTS_PAGE = 100  # wall.getComments: count is at most 100
_MAX_SEARCH_PAGE = 200  # newsfeed.search: count is at most 200
_THREAD_ITEMS = 10  # wall.getComments: thread_items_count is at most 10
_SKIPPED_POST_TYPES = {"postpone", "suggest"}  # scheduled and suggested posts are not public yet
# Attachment fields that carry human-written text (photo description, video/link/document titles).
_CAPTION_FIELDS = {"photo": ("text",), "video": ("title", "description"), "link": ("title", "description", "caption"), "doc": ("title",)}


class VkSearch(BaseModel):
    """One keyword (and optionally area) search over public posts."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    q: str = Field(min_length=1, max_length=500, description="поисковый запрос, например «яма Калуга»")
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_coordinates(self) -> VkSearch:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("для поиска по месту укажите и latitude, и longitude (или ни одно из них)")
        return self

    @property
    def key(self) -> str:
        if self.latitude is None:
            return self.q
        return f"{self.q}@{self.latitude:.5f},{self.longitude:.5f}"


class VkSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    access_token: str = Field(min_length=1, repr=False, description="ключ доступа (пользователя, сообщества или сервисный)")
    api_url: str = Field(default=DEFAULT_API_URL, description="адрес API, по умолчанию официальный")
    api_version: str = Field(default=DEFAULT_VERSION, description="версия API (параметр v)")
    group_ids: list[int] = Field(default_factory=list, description="сообщества, стены которых слушаем (id без минуса)")
    searches: list[VkSearch] = Field(default_factory=list, description="поиск по ключевым словам (newsfeed.search)")
    listen_comments: bool = True
    comment_posts: int = Field(default=10, ge=0, le=100, description="у скольких последних записей читать комментарии")
    page_size: int = Field(default=50, ge=1, le=100, description="записей на одну страницу wall.get")
    max_pages: int = Field(default=3, ge=1, le=20, description="страниц за один опрос на источник")
    lookback_hours: int = Field(default=24, ge=0, le=24 * 30, description="насколько назад смотреть при первом опросе")
    reply_as_group_id: int | None = Field(default=None, gt=0, description="отвечать от имени сообщества (from_group)")
    poll_interval: int = Field(default=120, ge=30, le=86400, description="как часто опрашивать, с")
    timeout: float = Field(default=10.0, gt=0, le=120)
    min_interval: float = Field(default=0.34, ge=0, le=10, description="пауза между запросами, с (лимит — 3 запроса в секунду)")
    max_retries: int = Field(default=2, ge=0, le=5, description="повторов при ошибке 6 «слишком много запросов»")

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"api_url должен быть адресом http(s), например {DEFAULT_API_URL}; получено «{value}»")
        return value.rstrip("/")

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"\d+\.\d+", value):
            raise ValueError(f"версия API должна иметь вид {DEFAULT_VERSION}; получено «{value}»")
        return value

    @field_validator("group_ids", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for raw in value:
            try:
                number = int(str(raw).strip())
            except ValueError:
                raise ValueError(f"идентификатор сообщества должен быть числом, получено «{raw}»") from None
            if number <= 0:
                raise ValueError(f"идентификатор сообщества указывается положительным числом без минуса (например, 123456), получено {raw}")
            out.append(number)
        return out

    @model_validator(mode="after")
    def _some_source(self) -> VkSettings:
        if not self.group_ids and not self.searches:
            raise ValueError("укажите хотя бы одно сообщество (group_ids) или поисковый запрос (searches)")
        return self


@register
class VkPlugin(ChannelPlugin):
    kind: ClassVar[str] = "vk"
    label: ClassVar[str] = "ВКонтакте"
    settings_model: ClassVar[type[BaseModel]] = VkSettings

    settings: VkSettings

    def client(self) -> VkClient:
        s = self.settings
        return VkClient(
            s.access_token,
            api_url=s.api_url,
            version=s.api_version,
            timeout=s.timeout,
            min_interval=s.min_interval,
            max_retries=s.max_retries,
        )

    # -- inbound ---------------------------------------------------------------------------
    def poll(self, cursor: dict) -> tuple[Iterable[RawItem], dict]:
        cursor = cursor or {}
        since = int((clock.now() - dt.timedelta(hours=self.settings.lookback_hours)).timestamp())
        walls = dict(cursor.get("walls") or {})
        comments = dict(cursor.get("comments") or {})
        searches = dict(cursor.get("searches") or {})
        items: list[RawItem] = []
        closed: list[VkError] = []  # sources skipped because they are closed, deleted or private
        with self.client() as api:
            for group_id in self.settings.group_ids:
                owner = -group_id
                try:
                    posts, recent, walls[str(owner)] = self._read_wall(api, owner, walls.get(str(owner)), since)
                except VkError as exc:
                    if _skip_source(exc):
                        log.warning("vk: wall of group %s skipped: %s", group_id, exc.reason)
                        closed.append(exc)
                        continue
                    raise
                items.extend(posts)
                if self.settings.listen_comments:
                    kept: dict[str, Any] = {k: v for k, v in comments.items() if not k.startswith(f"{owner}_")}
                    for post in recent:
                        key = f"{owner}_{post['id']}"
                        try:
                            found, kept[key] = self._read_comments(api, owner, post["id"], comments.get(key), since)
                        except VkError as exc:
                            if _skip_source(exc):
                                log.warning("vk: comments of wall%s skipped: %s", key, exc.reason)
                                continue
                            raise
                        items.extend(found)
                    comments = kept
            for search in self.settings.searches:
                try:
                    found, searches[search.key] = self._search(api, search, searches.get(search.key), since)
                except VkError as exc:
                    if _skip_source(exc):
                        log.warning("vk: search skipped: %s", exc.reason)
                        closed.append(exc)
                        continue
                    raise
                items.extend(found)
        if closed and len(closed) == len(self.settings.group_ids) + len(self.settings.searches):
            # Nothing could be read at all: say so, so the channel shows the error to an operator.
            raise closed[-1]
        return items, {"walls": walls, "comments": comments, "searches": searches}

    def _read_wall(self, api: VkClient, owner: int, state: dict | None, since: int) -> tuple[list[RawItem], list[dict], dict]:
        """New posts of one wall (oldest first), the most recent posts (to read comments of) and the wall's new state."""
        last_id = _int_or_none((state or {}).get("last_post_id"))
        newest = last_id or 0
        new: list[RawItem] = []
        recent: list[dict] = []
        size = self.settings.page_size
        for page in range(self.settings.max_pages):
            answer = api.call("wall.get", {"owner_id": owner, "count": size, "offset": page * size, "filter": "all", "extended": 1})
            posts = _items(answer, "wall.get")
            names = _names(answer)
            for post in posts:
                post_id = _require_int(post, "id", "wall.get")
                date = _require_int(post, "date", "wall.get")
                newest = max(newest, post_id)
                if len(recent) < self.settings.comment_posts and _comments_count(post) > 0 and not _is_deleted(post):
                    recent.append(post)
                if (post_id > last_id) if last_id is not None else (date >= since):
                    new.append(_post_item(post, "wall", names))
            if not posts or len(posts) < size:
                break
            tail_id, tail_date = _require_int(posts[-1], "id", "wall.get"), _require_int(posts[-1], "date", "wall.get")
            if (tail_id <= last_id) if last_id is not None else (tail_date < since):
                break
        new.reverse()
        return new, recent, {"last_post_id": newest}

    def _read_comments(self, api: VkClient, owner: int, post_id: int, state: dict | None, since: int) -> tuple[list[RawItem], dict]:
        last_id = _int_or_none((state or {}).get("last_comment_id"))
        newest = last_id or 0
        new: list[RawItem] = []
        for page in range(self.settings.max_pages):
            answer = api.call(
                "wall.getComments",
                {
                    "owner_id": owner,
                    "post_id": post_id,
                    "count": _MAX_COMMENTS_PAGE,
                    "offset": page * _MAX_COMMENTS_PAGE,
                    "sort": "desc",
                    "thread_items_count": _THREAD_ITEMS,
                    "extended": 1,
                },
            )
            top = _items(answer, "wall.getComments")
            names = _names(answer)
            page_has_old = False
            for comment in _flatten_threads(top):
                comment_id = _require_int(comment, "id", "wall.getComments")
                date = _int_or_none(comment.get("date"))
                newest = max(newest, comment_id)
                is_new = (comment_id > last_id) if last_id is not None else (date is not None and date >= since)
                if is_new:
                    new.append(_comment_item(owner, post_id, comment, names))
                else:
                    page_has_old = True
            if page_has_old or len(top) < _MAX_COMMENTS_PAGE:
                break
        new.sort(key=lambda item: _int_or_none(item.payload["comment"]["id"]) or 0)
        return new, {"last_comment_id": newest}

    def _search(self, api: VkClient, search: VkSearch, state: dict | None, since: int) -> tuple[list[RawItem], dict]:
        last_date = _int_or_none((state or {}).get("last_date"))
        seen = set((state or {}).get("seen") or [])
        start = last_date if last_date is not None else since
        params: dict[str, Any] = {"q": search.q, "count": _MAX_SEARCH_PAGE, "start_time": start, "extended": 1}
        if search.latitude is not None:
            params["latitude"] = f"{search.latitude:.6f}"
            params["longitude"] = f"{search.longitude:.6f}"
        new: list[RawItem] = []
        newest, at_newest = start, set(seen) if last_date is not None else set()
        for _page in range(self.settings.max_pages):
            answer = api.call("newsfeed.search", params)
            posts = _items(answer, "newsfeed.search")
            names = _names(answer)
            for post in posts:
                date = _require_int(post, "date", "newsfeed.search")
                external_id = _post_external_id(post, "newsfeed.search")
                if date < start or (date == start and external_id in seen):
                    continue
                new.append(_post_item(post, "search", names))
                if date > newest:
                    newest, at_newest = date, {external_id}
                elif date == newest:
                    at_newest.add(external_id)
            next_from = answer.get("next_from") if isinstance(answer, dict) else None
            if not posts or not next_from:
                break
            params["start_from"] = next_from
        new.sort(key=lambda item: _int_or_none(item.payload["post"]["date"]) or 0)
        return new, {"last_date": newest, "seen": sorted(at_newest)}

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        payload = item.payload
        if not isinstance(payload, dict) or payload.get("type") not in ("post", "comment"):
            raise ChannelError(f"ВКонтакте: запись {item.external_id}: неизвестный формат (нужен объект с type = post или comment)")
        if payload["type"] == "post":
            return self._normalise_post(item, payload)
        return self._normalise_comment(item, payload)

    def _normalise_post(self, item: RawItem, payload: dict) -> NormalisedMessage | None:
        post = payload.get("post")
        if not isinstance(post, dict):
            raise ChannelError(f"ВКонтакте: запись {item.external_id}: нет объекта записи «post»")
        if _is_deleted(post) or post.get("post_type") in _SKIPPED_POST_TYPES:
            return None
        where = f"запись {item.external_id}"
        post_id = _require_int(post, "id", where)
        owner = _require_int(post, "owner_id", where)
        date = _require_int(post, "date", where)
        text = _text_with_captions(post)
        if not text:
            return None
        author = _int_or_none(post.get("signer_id")) or _int_or_none(post.get("from_id")) or owner
        lat, lon, address = _geo(post.get("geo"))
        return NormalisedMessage(
            external_id=item.external_id,
            text=text,
            kind="post",
            created_at=dt.datetime.fromtimestamp(date, tz=dt.UTC),
            author_name=str(payload.get("author_name") or ""),
            author_link=_profile_link(author),
            reply_to={"owner_id": owner, "post_id": post_id},
            is_public=True,
            address=address,
            lat=lat,
            lon=lon,
            extra={
                "source": payload.get("source", ""),
                "url": f"https://vk.com/wall{owner}_{post_id}",
                "photo_urls": _photo_urls(post),
            },
        )

    def _normalise_comment(self, item: RawItem, payload: dict) -> NormalisedMessage | None:
        comment = payload.get("comment")
        if not isinstance(comment, dict):
            raise ChannelError(f"ВКонтакте: комментарий {item.external_id}: нет объекта «comment»")
        if _is_deleted(comment):
            return None
        where = f"комментарий {item.external_id}"
        owner = _require_int(payload, "owner_id", where)
        post_id = _require_int(payload, "post_id", where)
        comment_id = _require_int(comment, "id", where)
        date = _require_int(comment, "date", where)
        text = _text_with_captions(comment)
        if not text:
            return None
        author = _int_or_none(comment.get("from_id")) or owner
        return NormalisedMessage(
            external_id=item.external_id,
            text=text,
            kind="comment",
            created_at=dt.datetime.fromtimestamp(date, tz=dt.UTC),
            author_name=str(payload.get("author_name") or ""),
            author_link=_profile_link(author),
            reply_to={"owner_id": owner, "post_id": post_id, "comment_id": comment_id},
            is_public=True,
            extra={
                "source": payload.get("source", "wall"),
                "url": f"https://vk.com/wall{owner}_{post_id}?reply={comment_id}",
                "photo_urls": _photo_urls(comment),
            },
        )

    # -- outbound --------------------------------------------------------------------------
    def deliver(self, reply_to: dict, text: str) -> str:
        owner = _int_or_none((reply_to or {}).get("owner_id"))
        post_id = _int_or_none((reply_to or {}).get("post_id"))
        comment_id = _int_or_none((reply_to or {}).get("comment_id"))
        if owner is None or post_id is None:
            raise DeliveryError("ВКонтакте: неизвестно, куда отвечать (нужны owner_id и post_id записи)", retryable=False)
        if not (text or "").strip():
            raise DeliveryError("ВКонтакте: пустой текст ответа", retryable=False)
        params: dict[str, Any] = {"owner_id": owner, "post_id": post_id, "message": text, "guid": _guid(owner, post_id, comment_id, text)}
        if comment_id is not None:
            params["reply_to_comment"] = comment_id
        if self.settings.reply_as_group_id:
            params["from_group"] = self.settings.reply_as_group_id
        try:
            with self.client() as api:
                answer = api.call("wall.createComment", params)
        except VkError as exc:
            raise DeliveryError(exc.reason, retryable=exc.retryable, retry_after=exc.retry_after) from exc
        new_id = _int_or_none(answer.get("comment_id")) if isinstance(answer, dict) else None
        if new_id is None:
            raise DeliveryError("ВКонтакте: wall.createComment: в ответе нет comment_id — проверьте, опубликован ли ответ", retryable=False)
        return f"wall{owner}_{post_id}_c{new_id}"


# -- helpers ---------------------------------------------------------------------------------


def _skip_source(exc: VkError) -> bool:
    """A closed, deleted or private source is skipped (and logged); everything else stops the poll."""
    return getattr(exc, "is_access", False)


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _require_int(obj: dict, field: str, where: str) -> int:
    value = _int_or_none(obj.get(field)) if isinstance(obj, dict) else None
    if value is None:
        raise VkProtocolError(f"ВКонтакте: {where}: нет числового поля «{field}»", retryable=False)
    return value


def _items(answer: Any, method: str) -> list[dict]:
    if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
        raise VkProtocolError(f"ВКонтакте: {method}: в ответе нет списка «items»", retryable=False)
    items = answer["items"]
    if not all(isinstance(i, dict) for i in items):
        raise VkProtocolError(f"ВКонтакте: {method}: элементы «items» должны быть объектами", retryable=False)
    return items


def _names(answer: Any) -> dict[int, str]:
    """Display names from an `extended` answer: profiles by user id, groups by negative id."""
    names: dict[int, str] = {}
    if not isinstance(answer, dict):
        return names
    for profile in answer.get("profiles") or []:
        if isinstance(profile, dict) and _int_or_none(profile.get("id")) is not None:
            full = " ".join(str(profile.get(k) or "") for k in ("first_name", "last_name")).strip()
            names[int(profile["id"])] = full
    for group in answer.get("groups") or []:
        if isinstance(group, dict) and _int_or_none(group.get("id")) is not None:
            names[-int(group["id"])] = str(group.get("name") or "")
    return names


def _author_name(obj: dict, names: dict[int, str]) -> str:
    author = _int_or_none(obj.get("signer_id")) or _int_or_none(obj.get("from_id"))
    return names.get(author, "") if author is not None else ""


def _post_external_id(post: dict, where: str) -> str:
    return f"wall{_require_int(post, 'owner_id', where)}_{_require_int(post, 'id', where)}"


def _post_item(post: dict, source: str, names: dict[int, str]) -> RawItem:
    payload = {"type": "post", "source": source, "post": post, "author_name": _author_name(post, names)}
    return RawItem(external_id=_post_external_id(post, source), payload=payload, kind="post")


def _comment_item(owner: int, post_id: int, comment: dict, names: dict[int, str]) -> RawItem:
    payload = {
        "type": "comment",
        "source": "wall",
        "owner_id": owner,
        "post_id": post_id,
        "comment": comment,
        "author_name": _author_name(comment, names),
    }
    return RawItem(external_id=f"wall{owner}_{post_id}_c{comment['id']}", payload=payload, kind="comment")


def _flatten_threads(comments: list[dict]) -> list[dict]:
    """Top-level comments and the replies VK nests under them in "thread"."""
    out: list[dict] = []
    for comment in comments:
        out.append({k: v for k, v in comment.items() if k != "thread"})
        thread = comment.get("thread")
        if isinstance(thread, dict) and isinstance(thread.get("items"), list):
            out.extend(reply for reply in thread["items"] if isinstance(reply, dict))
    return out


def _comments_count(post: dict) -> int:
    comments = post.get("comments")
    if not isinstance(comments, dict):
        return 0
    return _int_or_none(comments.get("count")) or 0


def _is_deleted(obj: dict) -> bool:
    return bool(obj.get("is_deleted") or obj.get("deleted"))


def _text_with_captions(obj: dict) -> str:
    """The text plus the captions of attachments (photo description, video/link/doc titles)."""
    parts = [str(obj.get("text") or "").strip()]
    for attachment in obj.get("attachments") or []:
        if not isinstance(attachment, dict):
            continue
        body = attachment.get(str(attachment.get("type")))
        if not isinstance(body, dict):
            continue
        for field in _CAPTION_FIELDS.get(str(attachment.get("type")), ()):
            value = str(body.get(field) or "").strip()
            if value and value not in parts:
                parts.append(value)
    return "\n".join(p for p in parts if p).strip()


def _photo_urls(obj: dict) -> list[str]:
    """The largest size of each attached photo (the connector does not download them)."""
    urls = []
    for attachment in obj.get("attachments") or []:
        photo = attachment.get("photo") if isinstance(attachment, dict) and attachment.get("type") == "photo" else None
        sizes = [s for s in (photo or {}).get("sizes") or [] if isinstance(s, dict) and s.get("url")]
        if sizes:
            best = max(sizes, key=lambda s: (_int_or_none(s.get("width")) or 0) * (_int_or_none(s.get("height")) or 0))
            urls.append(str(best["url"]))
    return urls


def _geo(geo: Any) -> tuple[float | None, float | None, str]:
    """Post geotag: "coordinates" is "lat lon" in one string; the place may carry a title/address."""
    if not isinstance(geo, dict):
        return None, None, ""
    lat = lon = None
    coords = geo.get("coordinates")
    if isinstance(coords, str):
        pieces = coords.replace(",", " ").split()
        if len(pieces) == 2:
            try:
                lat, lon = float(pieces[0]), float(pieces[1])
            except ValueError:
                lat = lon = None
    elif isinstance(coords, dict):
        try:
            lat, lon = float(coords["latitude"]), float(coords["longitude"])
        except (KeyError, TypeError, ValueError):
            lat = lon = None
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        lat = lon = None
    place = geo.get("place") if isinstance(geo.get("place"), dict) else {}
    address = str(place.get("address") or place.get("title") or "").strip()
    return lat, lon, address


def _profile_link(author_id: int) -> str:
    return f"https://vk.com/id{author_id}" if author_id > 0 else f"https://vk.com/club{-author_id}"


def _guid(owner: int, post_id: int, comment_id: int | None, text: str) -> str:
    """wall.createComment's `guid` makes a retried request publish the comment once."""
    digest = hashlib.sha256(f"{owner}:{post_id}:{comment_id}:{text}".encode()).hexdigest()
    return digest[:32]
