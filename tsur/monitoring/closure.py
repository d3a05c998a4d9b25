"""Objective confirmation and proof of closure.

What a linked event says of an appeal is its link's role, kept here (`evaluate`):
- it **confirms** the problem (any link not rejected by an operator);
- once the event is resolved (a case closed, readings normal, the quiet period passed) it **proves
  the closure**, at the moment of the resolution;
- it **contradicts the answer** when the answer claimed the fix (published) and the problem came
  back after it (the event occurred after the publication), or the event is still active a grace
  period (the kind's `quiet_hours`) after the publication.

Where the kind says so, the roles act through the lifecycle's one door, on the problem's lead and
its joined appeals as the answer path does: `may_close` closes an appeal whose published answer
promised the fix once the resolution comes (`close_objective`); `may_reopen` reopens one whose
answer the events contradict (`reopen_objective`, the clock restarts). Each is an event in the
appeal's log.

Cameras report detections, never their end: `resolve_quiet` ends an event once no detection of its
kind came near it for the kind's quiet period, as a new version with a system payload.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from tsur.appeals.models import Appeal, CloseReason, Status
from tsur.appeals.services import changing, notify_resident
from tsur.core import clock
from tsur.core.db import update_rows
from tsur.core.errors import DomainError
from tsur.lib.geo import distance_km
from tsur.monitoring.events import events_recorded, evidence_changed
from tsur.monitoring.models import (
    EventKind,
    EventState,
    EventVersion,
    Link,
    LinkRole,
    LinkStatus,
    MonitoringEvent,
    Resolution,
)

log = logging.getLogger(__name__)

CLOSE_LABEL = "объективный контроль"
SYSTEM_PAYLOAD_SOURCE = "tsur"


@dataclass(slots=True)
class LinkFacts:
    """What deciding a link's role reads: the link, its event and the event's kind, as plain values
    (a batch reads thousands of them)."""

    pk: int
    appeal_id: int
    role: str
    role_at: dt.datetime | None
    state: str
    occurred_at: dt.datetime
    resolved_at: dt.datetime | None
    version_at: dt.datetime
    resolution: str
    quiet_hours: int
    may_close: bool
    may_reopen: bool


FACTS = (
    "pk", "appeal_id", "role", "role_at", "event__state", "event__occurred_at", "event__resolved_at", "event__version_at",
    "event__kind__resolution", "event__kind__quiet_hours", "event__kind__may_close", "event__kind__may_reopen",
)  # fmt: skip


def role_for(f: LinkFacts, published_at: dt.datetime | None, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    """The role of a (not rejected) link given when the appeal's answer was published."""
    return role_of(f.state, f.occurred_at, f.resolved_at, f.version_at, f.resolution, f.quiet_hours, published_at, now)


def role_of(
    state: str,
    occurred_at: dt.datetime,
    resolved_at: dt.datetime | None,
    version_at: dt.datetime,
    resolution: str,
    quiet_hours: int,
    published_at: dt.datetime | None,
    now: dt.datetime,
) -> tuple[str, dt.datetime | None]:
    """The rule itself: a recurrence after the answer contradicts it; a resolved event proves the
    closure; an event still active `quiet_hours` after the answer contradicts it; else it confirms."""
    if published_at is not None and occurred_at > published_at:
        return LinkRole.CONTRADICTS, occurred_at
    if state == EventState.RESOLVED:
        return LinkRole.CLOSES, resolved_at or version_at
    grace_over = published_at + dt.timedelta(hours=quiet_hours) if published_at is not None else None
    if grace_over is not None and resolution != Resolution.NONE and now >= grace_over:
        return LinkRole.CONTRADICTS, grace_over
    return LinkRole.CONFIRMS, None


def _when(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}" if moment else ""


def _event_words(e: MonitoringEvent) -> str:
    return f"«{e.title or e.kind.name}» ({e.source.name})"


def evaluate(
    appeal_ids: Iterable[int], now: dt.datetime | None = None, *, changed: Iterable[int] = (), events: Iterable[int] | None = None
) -> set[int]:
    """Bring the roles of these appeals' links (with the rest of their problems) up to date — only
    of the links with these `events` when given (a batch of events just matched: the other links
    of the appeals did not change) — close or reopen answered ones where the kinds allow it, and
    publish `evidence_changed` for the appeals whose evidence changed (`changed`: those whose
    links the caller has just made or removed)."""
    now = now or clock.now()
    ids = set(appeal_ids) | set(changed)
    touched = set(changed)
    if not ids:
        return touched
    with transaction.atomic():
        problems = set(Appeal.objects.filter(pk__in=ids, problem__isnull=False).values_list("problem_id", flat=True))
        if problems:
            ids |= set(Appeal.objects.filter(problem_id__in=problems).values_list("pk", flat=True))
        rows = Appeal.objects.filter(pk__in=ids).values_list("pk", "problem__lead_id", "published_at")
        lead_of = {pk: (lead or pk) for pk, lead, _p in rows}
        published = {pk: p for pk, _lead, p in rows}
        live = Link.objects.filter(appeal_id__in=ids).exclude(status=LinkStatus.REJECTED).order_by("pk")
        scope = live.filter(event_id__in=list(events)) if events is not None else live
        links = [LinkFacts(*row) for row in scope.values_list(*FACTS)]
        updated = []
        for f in links:
            role, at = role_for(f, published.get(f.appeal_id), now)
            if role != f.role or at != f.role_at:
                f.role, f.role_at = role, at
                updated.append(Link(pk=f.pk, role=role, role_at=at))
                touched.add(f.appeal_id)
        if updated:
            update_rows(Link, updated, ["role", "role_at"])
        # Only answered problems can be closed or reopened: one read tells which, another reads
        # all their links.
        answered = Appeal.objects.filter(pk__in=set(lead_of.values()), status__in=[Status.PUBLISHED, Status.CLOSED], published_at__isnull=False).only(
            "pk", "status", "published_at", "problem_id", "number"
        )
        leads = {lead.pk: lead for lead in answered}
        if leads:
            theirs = [pk for pk, lead in lead_of.items() if lead in leads]
            if events is not None:
                links = [LinkFacts(*row) for row in live.filter(appeal_id__in=theirs).values_list(*FACTS)]
            by_lead: dict[int, list[LinkFacts]] = defaultdict(list)
            for f in links:
                if lead_of.get(f.appeal_id) in leads:
                    by_lead[lead_of[f.appeal_id]].append(f)
            for lead_id, group in by_lead.items():
                touched |= _act(leads[lead_id], group, now)
        if touched:
            evidence_changed.publish(sorted(touched))
    return touched


def _act(lead: Appeal, links: list[LinkFacts], now: dt.datetime) -> set[int]:
    """Close or reopen a problem's answered lead (and its joined appeals) as its links' roles say."""
    published = lead.published_at
    contradicting = [f for f in links if f.role == LinkRole.CONTRADICTS and f.role_at and f.role_at >= published]
    if contradicting:
        reopening = [f for f in contradicting if f.may_reopen]
        return reopen_objectively(lead, _full(reopening[0])) if reopening else set()
    if lead.status != Status.PUBLISHED:
        return set()
    if any(f.role == LinkRole.CONTRADICTS for f in links):
        return set()
    proving = [f for f in links if f.role == LinkRole.CLOSES and f.may_close and f.role_at is not None and f.role_at >= published]
    if not proving:
        return set()
    # Another linked problem still open (an event whose end the source reports) holds the closure.
    if any(f.state == EventState.ACTIVE and f.resolution != Resolution.NONE for f in links):
        return set()
    return close_objectively(lead, _full(max(proving, key=lambda f: f.role_at)))


def _full(f: LinkFacts) -> Link:
    return Link.objects.select_related("event__kind", "event__source").get(pk=f.pk)


def _members(lead: Appeal, statuses: Iterable[str]) -> list[int]:
    if not lead.problem_id:
        return []
    qs = Appeal.objects.filter(problem_id=lead.problem_id, status__in=list(statuses)).exclude(pk=lead.pk)
    return list(qs.values_list("pk", flat=True))


def close_objectively(lead: Appeal, link: Link) -> set[int]:
    """Close the problem's lead and its answered joined appeals: the linked event's resolution
    proves the fix the published answer promised."""
    e = link.event
    reason = f"Событие {_event_words(e)} устранено {_when(link.role_at)}: {Resolution(e.kind.resolution).label}"
    data = {"monitoring_event": e.pk, "link": link.pk, "resolved_at": link.role_at.isoformat() if link.role_at else None}
    done: set[int] = set()
    for pk in [lead.pk, *_members(lead, [Status.PUBLISHED])]:
        try:
            with changing(pk, "close_objective", None, label=CLOSE_LABEL) as ch:
                ch.appeal.close_reason = CloseReason.CONFIRMED
                ch.appeal.closed_at = clock.now()
                ch.reason = reason
                ch.data = dict(data)
            done.add(pk)
        except DomainError:
            continue  # rated or reopened meanwhile: the resident's word stands
    return done


def reopen_objectively(lead: Appeal, link: Link) -> set[int]:
    """Reopen the problem's lead (a fresh clock) and bring its joined appeals back with it: the
    linked event contradicts the fix the published answer claimed."""
    e = link.event
    if e.occurred_at > (lead.published_at or e.occurred_at):
        why = f"после ответа снова зафиксировано событие {_event_words(e)} ({_when(e.occurred_at)})"
    else:
        why = f"событие {_event_words(e)} продолжается после ответа (на {_when(link.role_at)})"
    data = {"monitoring_event": e.pk, "link": link.pk}
    done: set[int] = set()
    try:
        with changing(lead.pk, "reopen_objective", None, label=CLOSE_LABEL) as ch:
            ch.appeal.close_reason = ""
            ch.appeal.closed_at = None
            ch.appeal.reopened_count += 1
            ch.reason = f"Объективный контроль не подтверждает устранение: {why}"
            ch.data = dict(data)
            ch.move_clock()
            _tell(ch.appeal, why)
        done.add(lead.pk)
    except DomainError:
        return done
    for pk in _members(lead, [Status.PUBLISHED, Status.CLOSED]):
        try:
            with changing(pk, "reopen_member", None, label=CLOSE_LABEL) as ch:
                ch.appeal.close_reason = ""
                ch.appeal.closed_at = None
                ch.reason = f"Проблема возобновлена: {why}"
                ch.data = dict(data)
                _tell(ch.appeal, why)
            done.add(pk)
        except DomainError:
            continue
    return done


def _tell(a: Appeal, why: str) -> None:
    """The resident learns why the appeal is back in work (the answer said the fix was done)."""
    due = f" Новый срок ответа — до {_when(a.due_at)}." if a.due_at and a.status != Status.JOINED else ""
    notify_resident(
        a,
        "reopened_objective",
        f"Обращение {a.number} возвращено в работу",
        f"По данным объективного контроля проблема по обращению {a.number} не устранена: {why}. Обращение возвращено в работу.{due}",
    )


# --- the quiet period of cameras ------------------------------------------------------------


def resolve_event(event: MonitoringEvent, resolved_at: dt.datetime, why: str) -> bool:
    """End an event the platform itself judged resolved, as a new version with a system payload
    (the sources' versions stay untouched); the matcher then looks at it again. False if it had
    ended meanwhile or a newer version of its own came."""
    with transaction.atomic():
        e = MonitoringEvent.objects.select_for_update().filter(pk=event.pk).first()
        if e is None or e.state != EventState.ACTIVE or e.version_at > resolved_at:
            return False
        number = max(EventVersion.objects.filter(event=e).aggregate(n=Max("version"))["n"] or 0, e.version) + 1
        payload = {"source": SYSTEM_PAYLOAD_SOURCE, "state": "resolved", "resolved_at": resolved_at.isoformat(), "reason": why}
        EventVersion.objects.create(
            event=e,
            version=number,
            state=EventState.RESOLVED,
            version_at=resolved_at,
            received_at=clock.now(),
            payload=json.dumps(payload, ensure_ascii=False),
            normalised={"state": "resolved", "resolved_at": resolved_at.isoformat(), "applied": True, "system": why},
        )
        MonitoringEvent.objects.filter(pk=e.pk).update(
            state=EventState.RESOLVED, resolved_at=resolved_at, version=number, version_at=resolved_at, matched_at=None
        )
        events_recorded.publish([e.pk])
    return True


QUIET_AT_MOST = 500


def resolve_quiet(now: dt.datetime | None = None) -> int:
    """End the active events of quiet-resolved kinds (cameras) with no detection of their kind
    within their radius for the kind's quiet period; the resolution is dated to the end of that
    period after the last detection near it. Returns how many ended."""
    now = now or clock.now()
    ended = 0
    for kind in EventKind.objects.filter(resolution=Resolution.QUIET):
        quiet = dt.timedelta(hours=kind.quiet_hours)
        due = list(
            MonitoringEvent.objects.filter(kind=kind, state=EventState.ACTIVE, occurred_at__lte=now - quiet)
            .order_by("occurred_at")
            .only("pk", "occurred_at", "lat", "lon", "address", "version_at")[:QUIET_AT_MOST]
        )
        if not due:
            continue
        near = _Detections(kind, due, now)
        for e in due:
            last = max((occurred for occurred in near.around(e) if occurred > e.occurred_at), default=e.occurred_at)
            if last + quiet <= now and resolve_event(e, last + quiet, f"нет новых срабатываний {kind.quiet_hours} ч"):
                ended += 1
    return ended


class _Detections:
    """The kind's detections since the oldest due event, within the due events' box: by grid
    bucket (points) and by address (events without a point)."""

    def __init__(self, kind: EventKind, due: list[MonitoringEvent], now: dt.datetime) -> None:
        self.radius_m = kind.radius_m
        later = MonitoringEvent.objects.filter(kind=kind, occurred_at__gt=due[0].occurred_at, occurred_at__lte=now)
        points = [(e.lat, e.lon) for e in due if e.lat is not None and e.lon is not None]
        if points and len(points) == len(due):
            reach = self.radius_m / 111_200 * 3
            lats, lons = [p[0] for p in points], [p[1] for p in points]
            later = later.filter(lat__range=(min(lats) - reach, max(lats) + reach), lon__range=(min(lons) - reach, max(lons) + reach))
        self.grid: dict[tuple[int, int], list[tuple[dt.datetime, float, float]]] = defaultdict(list)
        self.by_address: dict[str, list[dt.datetime]] = defaultdict(list)
        for occurred, lat, lon, address in later.values_list("occurred_at", "lat", "lon", "address"):
            if lat is not None and lon is not None:
                self.grid[(math.floor(lat / GRID), math.floor(lon / GRID))].append((occurred, lat, lon))
            elif address:
                self.by_address[_address_key(address)].append(occurred)

    def around(self, e: MonitoringEvent) -> list[dt.datetime]:
        if e.lat is None or e.lon is None:
            return list(self.by_address.get(_address_key(e.address), [])) if e.address else []
        i, j = math.floor(e.lat / GRID), math.floor(e.lon / GRID)
        out = []
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for occurred, lat, lon in self.grid.get((i + di, j + dj), ()):
                    if distance_km(e.lat, e.lon, lat, lon) * 1000 <= self.radius_m:
                        out.append(occurred)
        return out


GRID = 0.01  # ≈ 1.1 km: a quiet-resolved kind's radius is far below it


def _address_key(address: str) -> str:
    return " ".join(address.casefold().replace("ё", "е").split())


def due_contradictions(now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Appeals whose answer's grace period has passed while a linked event is still active: their
    links are to be evaluated again (what the periodic job does)."""
    now = now or clock.now()
    rows = (
        Link.objects.filter(role=LinkRole.CONFIRMS, event__state=EventState.ACTIVE, appeal__published_at__isnull=False)
        .exclude(status=LinkStatus.REJECTED)
        .exclude(event__kind__resolution=Resolution.NONE)
        .filter(appeal__published_at__lte=now)
        .values_list("appeal_id", "appeal__published_at", "event__kind__quiet_hours")[: limit * 4]
    )
    out = sorted({a for a, published, hours in rows if published + dt.timedelta(hours=hours) <= now})
    return out[:limit]
