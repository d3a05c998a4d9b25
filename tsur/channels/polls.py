"""A published poll's link posted to the communities and chats configured for polls
(tsur.polls.models.AnnouncementTarget): a new wall post in a VK community, a new topic in an OK
group, a message in a Telegram chat or channel.

The row comes first: when a poll is published (tsur.polls.events.poll_changed) an Announcement is
written per matching target, then sent after commit; the periodic sweep writes rows a lost
subscriber call did not write and sends whatever is due, so a lost task is done again. Sending
claims the row with a conditional update; transient errors are retried with backoff, permanent
ones leave the row failed with its Russian reason. VK's `guid` makes a repeated post appear once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone

from tsur.channels.base import DeliveryError, ServiceError
from tsur.channels.models import ChannelConfig
from tsur.channels.policy import backoff, lease
from tsur.core import clock, tasks
from tsur.polls.events import PollChange, poll_changed
from tsur.polls.models import Announcement, AnnouncementTarget, Audience, Poll, PollEvent, Status
from tsur.polls.services.audit import record
from tsur.polls.services.voting import open_now_filter, territory_ids

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
DUE = (Announcement.State.PENDING, Announcement.State.RETRYING)
# The sweep looks for unannounced polls published this recently (older ones were announced or
# deliberately not: a target added later does not re-announce last month's polls).
CATCH_UP = dt.timedelta(days=2)
DESCRIPTION_CHARS = 400


def poll_link(poll: Poll) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/polls/{poll.token}/"


def announcement_text(poll: Poll) -> str:
    lines = [f"Опрос жителей: «{poll.title}»"]
    if poll.description:
        text = poll.description.strip()
        lines.append(text if len(text) <= DESCRIPTION_CHARS else text[: DESCRIPTION_CHARS - 1].rstrip() + "…")
    lines.append(f"Проголосовать: {poll_link(poll)}")
    if poll.ends_at:
        lines.append(f"Голосование до {formats.date_format(timezone.localtime(poll.ends_at), 'j E Y г., H:i')}.")
    lines.append("Один житель — один голос.")
    return "\n\n".join(lines)


def _covers(target: AnnouncementTarget, poll_ids: set[int] | None) -> bool:
    """A target with no territories takes every poll; a region-wide poll goes to every target;
    otherwise the poll's territories and the target's must overlap (each with everything under it)."""
    chosen = list(target.territories.all())
    if not chosen or poll_ids is None:
        return True
    target_ids: set[int] = set()
    for territory in chosen:
        target_ids |= territory.descendant_ids()
    return bool(target_ids & poll_ids)


def write_announcements(poll: Poll) -> list[int]:
    """One row per enabled target that covers the poll and has none yet; ids of the new rows."""
    if poll.status != Status.PUBLISHED or poll.audience != Audience.EVERYONE:
        return []  # an invited-only follow-up is not advertised to everyone
    poll_ids = territory_ids(poll)
    done = set(Announcement.objects.filter(poll=poll).values_list("target_id", flat=True))
    text = announcement_text(poll)
    created: list[int] = []
    for target in AnnouncementTarget.objects.filter(enabled=True).prefetch_related("territories").order_by("pk"):
        if target.pk in done or not _covers(target, poll_ids):
            continue
        try:
            with transaction.atomic():
                row = Announcement.objects.create(poll=poll, target=target, channel_code=target.channel_code, place=target.place, text=text)
        except IntegrityError:  # another worker wrote it first
            continue
        created.append(row.pk)
    return created


def on_poll_changed(changes: Sequence[PollChange]) -> None:
    """Subscriber (after the publishing commit): write the rows, then send them."""
    for change in changes:
        if change.kind != PollEvent.Kind.PUBLISHED:
            continue
        poll = Poll.objects.filter(pk=change.poll_id).first()
        if poll is None:
            continue
        for pk in write_announcements(poll):
            tasks.enqueue("send_poll_announcement", pk)


def subscribe() -> None:
    poll_changed.subscribe(on_poll_changed, uid="tsur.channels.polls")


def _due(now: dt.datetime) -> Q:
    return Q(state__in=DUE, next_attempt_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def _post(config: ChannelConfig, place: dict, text: str, guid: str) -> str:
    """Publish `text` at `place` through the channel's plugin; the outside id of the post."""
    plugin = config.plugin()
    if config.kind == "vk":
        group_id = place.get("group_id")
        if not isinstance(group_id, int) or group_id <= 0:
            raise DeliveryError("ВКонтакте: не указано сообщество (group_id) для размещения опросов", retryable=False)
        try:
            with plugin.client() as api:
                answer = api.call("wall.post", {"owner_id": -group_id, "from_group": 1, "message": text, "guid": guid})
        except ServiceError as exc:
            raise DeliveryError(exc.reason, retryable=exc.retryable, retry_after=exc.retry_after) from exc
        post_id = answer.get("post_id") if isinstance(answer, dict) else None
        if not isinstance(post_id, int):
            raise DeliveryError("ВКонтакте: wall.post: в ответе нет post_id — проверьте, опубликована ли запись", retryable=False)
        return f"wall-{group_id}_{post_id}"
    if config.kind == "telegram":
        chat_id = place.get("chat_id")
        if not isinstance(chat_id, int | str) or chat_id == "":
            raise DeliveryError("Telegram: не указан чат (chat_id) для размещения опросов", retryable=False)
        return plugin.deliver({"chat_id": chat_id}, text)  # no message to answer: a new message in the chat
    if config.kind == "ok":
        return _post_ok(plugin, place, text)
    raise DeliveryError(f"канал «{config.name}» не умеет размещать опросы", retryable=False)


def _post_ok(plugin, place: dict, text: str) -> str:
    """Одноклассники: a new topic in the group (mediatopic.post, type GROUP_THEME, the text as the
    attachment's one text block); OK answers with the new topic's id."""
    gid = str(place.get("group_id") or "").strip()
    if not gid.isdigit():
        raise DeliveryError("Одноклассники: не указана группа (group_id) для размещения опросов", retryable=False)
    attachment = json.dumps({"media": [{"type": "text", "text": text}]}, ensure_ascii=False)
    try:
        with plugin.client() as api:
            answer = api.call("mediatopic.post", {"gid": gid, "type": "GROUP_THEME", "attachment": attachment})
    except ServiceError as exc:
        raise DeliveryError(exc.reason, retryable=exc.retryable, retry_after=exc.retry_after) from exc
    topic_id = str(answer).strip() if isinstance(answer, str | int) and not isinstance(answer, bool) else ""
    if not topic_id:
        raise DeliveryError("Одноклассники: mediatopic.post: в ответе нет идентификатора темы — проверьте, опубликована ли запись", retryable=False)
    return f"topic{gid}_{topic_id}"


def send(announcement_id: int) -> str:
    now = clock.now()
    token = uuid.uuid4().hex
    claimed = Announcement.objects.filter(_due(now), pk=announcement_id).update(
        claimed_until=now + lease(), claim_token=token, attempts=F("attempts") + 1
    )
    if not claimed:
        return "not due"
    row = Announcement.objects.select_related("poll").get(pk=announcement_id)
    mine = Announcement.objects.filter(pk=row.pk, claim_token=token)
    config = ChannelConfig.objects.filter(code=row.channel_code).first()
    if config is None:
        return _failed(row, mine, f"канал с кодом «{row.channel_code}» не настроен")
    if not config.enabled:
        mine.update(
            attempts=F("attempts") - 1,
            claimed_until=None,
            claim_token="",
            next_attempt_at=now + dt.timedelta(minutes=10),
            last_error="канал отключён: размещение отложено",
        )
        return "channel disabled"
    guid = hashlib.sha256(f"poll:{row.poll.token}:{row.pk}".encode()).hexdigest()[:32]
    try:
        external_id = _post(config, row.place, row.text, guid)
    except DeliveryError as exc:
        if exc.retryable and row.attempts < MAX_ATTEMPTS:
            return _retry(row, mine, exc.reason, exc.retry_after)
        return _failed(row, mine, exc.reason + (f" (попыток: {row.attempts})" if exc.retryable else ""))
    except Exception as exc:  # the network, a plugin's settings: worth another try
        if row.attempts < MAX_ATTEMPTS:
            return _retry(row, mine, f"ошибка отправки ({type(exc).__name__})", None)
        return _failed(row, mine, f"ошибка отправки ({type(exc).__name__}), попыток: {row.attempts}")
    with transaction.atomic():
        mine.update(
            state=Announcement.State.SENT,
            external_id=str(external_id or "")[:200],
            sent_at=clock.now(),
            last_error="",
            claimed_until=None,
            claim_token="",
        )
        record(row.poll, PollEvent.Kind.ANNOUNCED, None, channel=row.channel_code, announcement=row.pk)
    return "sent"


def _retry(row: Announcement, mine, reason: str, retry_after: float | None) -> str:
    delay = backoff(row.attempts, base=60, cap=6 * 3600, retry_after=retry_after)
    mine.update(
        state=Announcement.State.RETRYING,
        last_error=reason[:1000],
        claimed_until=None,
        claim_token="",
        next_attempt_at=clock.now() + dt.timedelta(seconds=delay),
    )
    log.warning("poll announcement %s (%s): attempt %d failed, next in %.0f s: %s", row.pk, row.channel_code, row.attempts, delay, reason)
    return "retrying"


def _failed(row: Announcement, mine, reason: str) -> str:
    mine.update(state=Announcement.State.FAILED, last_error=reason[:1000], claimed_until=None, claim_token="")
    log.warning("poll announcement %s (%s) failed: %s", row.pk, row.channel_code, reason)
    return "failed"


@tasks.background("send_poll_announcement")
def send_poll_announcement(announcement_id: int) -> str:
    return send(announcement_id)


@tasks.periodic("channels.poll_announcements")
def sweep(now: dt.datetime) -> dict:
    """Rows a lost subscriber call did not write, then every due row (a lost task, a retry)."""
    written = 0
    recent = Poll.objects.filter(open_now_filter(now), published_at__gte=now - CATCH_UP)
    for poll in recent:
        written += len(write_announcements(poll))
    due = list(Announcement.objects.filter(_due(now)).order_by("next_attempt_at").values_list("pk", flat=True)[: tasks.REQUEUE_AT_MOST])
    for pk in due:
        tasks.enqueue("send_poll_announcement", pk)
    return {"written": written, "enqueued": len(due)}
