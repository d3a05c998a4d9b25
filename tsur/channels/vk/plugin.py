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

The flow (poll, skipping closed sources, normalising an envelope, replying) is shared with OK in
`tsur.channels.social.plugin`; this module keeps VK's settings, methods, paging and fields.
"""

from __future__ import annotations

import hashlib
import re
from functools import partial
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tsur.channels.base import DeliveryError, NormalisedMessage, RawItem
from tsur.channels.registry import register
from tsur.channels.social.plugin import Poll, PostEnvelope, ReplyAddress, SocialPlugin, Watermark, each_item, http_url, is_deleted
from tsur.channels.vk.client import DEFAULT_API_URL, DEFAULT_VERSION, ERRORS, VkClient

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
        return http_url(value, DEFAULT_API_URL).rstrip("/")

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"\d+\.\d+", value):
            raise ValueError(f"версия API должна иметь вид {DEFAULT_VERSION}; получено «{value}»")
        return value

    @field_validator("group_ids", mode="before")
    @classmethod
    def _groups(cls, value: Any) -> Any:
        return each_item(value, _group_id)

    @model_validator(mode="after")
    def _some_source(self) -> VkSettings:
        if not self.group_ids and not self.searches:
            raise ValueError("укажите хотя бы одно сообщество (group_ids) или поисковый запрос (searches)")
        return self


@register
class VkPlugin(SocialPlugin[int]):
    kind: ClassVar[str] = "vk"
    label: ClassVar[str] = "ВКонтакте"
    settings_model: ClassVar[type[BaseModel]] = VkSettings
    post_envelope: ClassVar[PostEnvelope] = PostEnvelope("post", "запись", missing="нет объекта записи «post»")
    cursor_sections: ClassVar[tuple[str, str]] = ("walls", "comments")

    settings: VkSettings

    def client(self) -> VkClient:
        return VkClient(self.settings.access_token, version=self.settings.api_version, **self.client_options())

    # -- inbound ---------------------------------------------------------------------------
    def feeds(self) -> list[int]:
        return [-group_id for group_id in self.settings.group_ids]  # a community's wall is its negative id

    def read_feed(self, api: VkClient, owner: int, state: dict | None, since: int) -> tuple[list[RawItem], list[int], dict]:
        """New posts of one wall (oldest first), the most recent posts with comments and the wall's new state.
        VK's post ids grow with time, so the last id seen is the whole state."""
        last_id = _int_or_none((state or {}).get("last_post_id"))
        newest = last_id or 0
        new: list[RawItem] = []
        recent: list[int] = []
        size = self.settings.page_size
        for page in range(self.settings.max_pages):
            answer = api.call("wall.get", {"owner_id": owner, "count": size, "offset": page * size, "filter": "all", "extended": 1})
            posts = _items(answer, "wall.get")
            names = _names(answer)
            for post in posts:
                post_id = _require_int(post, "id", "wall.get")
                date = _require_int(post, "date", "wall.get")
                newest = max(newest, post_id)
                if len(recent) < self.settings.comment_posts and _comments_count(post) > 0 and not is_deleted(post):
                    recent.append(post_id)
                if (post_id > last_id) if last_id is not None else (date >= since):
                    new.append(_post_item(post, "wall", names))
            if not posts or len(posts) < size:
                break
            tail_id, tail_date = _require_int(posts[-1], "id", "wall.get"), _require_int(posts[-1], "date", "wall.get")
            if (tail_id <= last_id) if last_id is not None else (tail_date < since):
                break
        new.reverse()
        return new, recent, {"last_post_id": newest}

    def read_thread(self, api: VkClient, owner: int, post_id: int, state: dict | None, since: int) -> tuple[list[RawItem], dict]:
        """New comments under one post, replies in threads included, and the post's new state."""
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

    def poll_more(self, api: VkClient, cursor: dict, since: int, poll: Poll) -> dict:
        """The keyword and area searches, after the walls."""
        searches = dict(cursor.get("searches") or {})
        for search in self.settings.searches:
            read = self.unless_closed(poll, "search", partial(self._search, api, search, searches.get(search.key), since), source=True)
            if read is not None:
                found, searches[search.key] = read
                poll.items.extend(found)
        return {"searches": searches}

    def _search(self, api: VkClient, search: VkSearch, state: dict | None, since: int) -> tuple[list[RawItem], dict]:
        # Search results are not ordered by id and a second may return again: a date plus the ids seen at it.
        mark = Watermark(state, "last_date", since)
        params: dict[str, Any] = {"q": search.q, "count": _MAX_SEARCH_PAGE, "start_time": mark.floor, "extended": 1}
        if search.latitude is not None:
            params["latitude"] = f"{search.latitude:.6f}"
            params["longitude"] = f"{search.longitude:.6f}"
        new: list[RawItem] = []
        for answer in api.pages("newsfeed.search", params, max_pages=self.settings.max_pages, follow=_next_from):
            names = _names(answer)
            for post in _items(answer, "newsfeed.search"):
                date = _require_int(post, "date", "newsfeed.search")
                external_id = _post_external_id(post, "newsfeed.search")
                if mark.is_new(date, external_id):
                    new.append(_post_item(post, "search", names))
                    mark.saw(date, external_id)
        new.sort(key=lambda item: _int_or_none(item.payload["post"]["date"]) or 0)
        return new, mark.state()

    def read_post(self, item: RawItem, payload: dict, post: dict, where: str) -> NormalisedMessage | None:
        if post.get("post_type") in _SKIPPED_POST_TYPES:
            return None
        post_id = _require_int(post, "id", where)
        owner = _require_int(post, "owner_id", where)
        date = _require_int(post, "date", where)
        text = _text_with_captions(post)
        if not text:
            return None
        author = _int_or_none(post.get("signer_id")) or _int_or_none(post.get("from_id")) or owner
        lat, lon, address = _geo(post.get("geo"))
        extra = {"source": payload.get("source", ""), "url": f"https://vk.com/wall{owner}_{post_id}", "photo_urls": _photo_urls(post)}
        return self.public_message(
            item,
            payload,
            kind="post",
            text=text,
            when=date,
            author_link=_profile_link(author),
            reply_to={"owner_id": owner, "post_id": post_id},
            address=address,
            lat=lat,
            lon=lon,
            extra=extra,
        )

    def read_comment(self, item: RawItem, payload: dict, comment: dict, where: str) -> NormalisedMessage | None:
        owner = _require_int(payload, "owner_id", where)
        post_id = _require_int(payload, "post_id", where)
        comment_id = _require_int(comment, "id", where)
        date = _require_int(comment, "date", where)
        text = _text_with_captions(comment)
        if not text:
            return None
        author = _int_or_none(comment.get("from_id")) or owner
        url = f"https://vk.com/wall{owner}_{post_id}?reply={comment_id}"
        return self.public_message(
            item,
            payload,
            kind="comment",
            text=text,
            when=date,
            author_link=_profile_link(author),
            reply_to={"owner_id": owner, "post_id": post_id, "comment_id": comment_id},
            extra={"source": payload.get("source", "wall"), "url": url, "photo_urls": _photo_urls(comment)},
        )

    # -- outbound --------------------------------------------------------------------------
    def reply_address(self, reply_to: dict) -> ReplyAddress[int]:
        owner = _int_or_none(reply_to.get("owner_id"))
        post_id = _int_or_none(reply_to.get("post_id"))
        if owner is None or post_id is None:
            raise DeliveryError("ВКонтакте: неизвестно, куда отвечать (нужны owner_id и post_id записи)", retryable=False)
        return ReplyAddress(owner, post_id, _int_or_none(reply_to.get("comment_id")))

    def reply(self, api: VkClient, to: ReplyAddress[int], text: str) -> str:
        params: dict[str, Any] = {"owner_id": to.feed, "post_id": to.post, "message": text, "guid": _guid(to, text)}
        if to.comment is not None:
            params["reply_to_comment"] = to.comment
        if self.settings.reply_as_group_id:
            params["from_group"] = self.settings.reply_as_group_id
        answer = api.call("wall.createComment", params)
        new_id = _int_or_none(answer.get("comment_id")) if isinstance(answer, dict) else None
        if new_id is None:
            raise DeliveryError("ВКонтакте: wall.createComment: в ответе нет comment_id — проверьте, опубликован ли ответ", retryable=False)
        return f"wall{to.feed}_{to.post}_c{new_id}"


# -- helpers ---------------------------------------------------------------------------------


def _group_id(raw: Any) -> int:
    """A community as configured: its positive id, not its wall's negative owner id."""
    try:
        number = int(str(raw).strip())
    except ValueError:
        raise ValueError(f"идентификатор сообщества должен быть числом, получено «{raw}»") from None
    if number <= 0:
        raise ValueError(f"идентификатор сообщества указывается положительным числом без минуса (например, 123456), получено {raw}")
    return number


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
        raise ERRORS.protocol(where, f"нет числового поля «{field}»")
    return value


def _items(answer: Any, method: str) -> list[dict]:
    if not isinstance(answer, dict) or not isinstance(answer.get("items"), list):
        raise ERRORS.protocol(method, "в ответе нет списка «items»")
    items = answer["items"]
    if not all(isinstance(i, dict) for i in items):
        raise ERRORS.protocol(method, "элементы «items» должны быть объектами")
    return items


def _next_from(answer: dict) -> dict | None:
    """newsfeed.search's paging: `next_from` is there only when a next page is."""
    return {"start_from": answer["next_from"]} if answer["items"] and answer.get("next_from") else None


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


def _guid(to: ReplyAddress[int], text: str) -> str:
    """wall.createComment's `guid` makes a retried request publish the comment once."""
    digest = hashlib.sha256(f"{to.feed}:{to.post}:{to.comment}:{text}".encode()).hexdigest()
    return digest[:32]
