"""What the pages read of monitoring's evidence: plain values with Russian labels.

- `evidence_for_appeal(id)` / `evidence_for_appeals(ids)`: the events linked with an appeal (and
  with the other appeals of its problem), each with the link's reason, score, status and role;
  whether objective monitoring confirms the appeal, proves its closure or contradicts its answer.
- `objective_summary_by_organisation(appeals)`: per organisation, its answered appeals with linked
  events, those whose closure the events prove and those whose answer they contradict (the KPIs).

Times are aware date-times; the labels give them in the platform's zone (Moscow).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from tsur.appeals.models import Appeal
from tsur.lib.ru import plural
from tsur.monitoring.models import EventState, Link, LinkRole, LinkStatus, Resolution

CONFIRMED_LABEL = "подтверждено объективным контролем"
PROVEN_LABEL = "устранение подтверждено объективным контролем"
CONTRADICTED_LABEL = "объективный контроль не подтверждает устранение"


def _local(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}" if moment else ""


@dataclass(frozen=True)
class LinkedEvent:
    """One event linked with an appeal, as a card or a map shows it."""

    link_id: int
    appeal_id: int  # the appeal the link is with (another appeal of the same problem, maybe)
    own: bool  # linked with the appeal asked about itself
    event_id: int
    source_name: str
    source_kind_label: str
    kind_name: str
    title: str
    address: str
    lat: float | None
    lon: float | None
    occurred_at: dt.datetime
    occurred_label: str
    state: str
    state_label: str
    resolved_at: dt.datetime | None
    resolved_label: str
    resolution_label: str  # what proves the kind's events resolved
    details: dict
    image_url: str
    score: float
    score_label: str  # «совпадение 82 %»
    reason: str
    status: str
    status_label: str
    role: str
    role_label: str
    role_at: dt.datetime | None
    role_at_label: str
    decided_by: str
    decided_at: dt.datetime | None
    note: str

    @property
    def rejected(self) -> bool:
        return self.status == LinkStatus.REJECTED


@dataclass(frozen=True)
class Evidence:
    """An appeal's objective evidence."""

    appeal_id: int
    events: list[LinkedEvent]  # not rejected first (newest first), then the rejected ones
    confirmed: bool  # a link not rejected: «подтверждено объективным контролем»
    confirmation_label: str  # «Подтверждено объективным контролем: 2 события» or ""
    proof: LinkedEvent | None  # the latest resolution proving the closure, if nothing contradicts
    proof_label: str
    contradiction: LinkedEvent | None  # the event that contradicts the answer's claim
    contradiction_label: str

    @property
    def proven(self) -> bool:
        return self.proof is not None

    @property
    def contradicted(self) -> bool:
        return self.contradiction is not None


def _linked(lk: Link, asked: int) -> LinkedEvent:
    e = lk.event
    decided = ""
    if lk.decided_by_id is not None:
        u = lk.decided_by
        decided = (u.get_full_name() or u.get_username()) if u else ""
    return LinkedEvent(
        link_id=lk.pk,
        appeal_id=lk.appeal_id,
        own=lk.appeal_id == asked,
        event_id=e.pk,
        source_name=e.source.name,
        source_kind_label=e.source.get_kind_display(),
        kind_name=e.kind.name,
        title=e.title or e.kind.name,
        address=e.address,
        lat=e.lat,
        lon=e.lon,
        occurred_at=e.occurred_at,
        occurred_label=_local(e.occurred_at),
        state=e.state,
        state_label=EventState(e.state).label,
        resolved_at=e.resolved_at,
        resolved_label=_local(e.resolved_at),
        resolution_label=Resolution(e.kind.resolution).label,
        details=dict(e.details or {}),
        image_url=e.image.url if e.image else "",
        score=lk.score,
        score_label=f"совпадение {round(lk.score * 100)} %",
        reason=lk.reason,
        status=lk.status,
        status_label=LinkStatus(lk.status).label,
        role=lk.role,
        role_label=LinkRole(lk.role).label if lk.status != LinkStatus.REJECTED else "не учитывается",
        role_at=lk.role_at,
        role_at_label=_local(lk.role_at),
        decided_by=decided,
        decided_at=lk.decided_at,
        note=lk.note,
    )


def _evidence(appeal_id: int, links: list[LinkedEvent]) -> Evidence:
    live = sorted((x for x in links if not x.rejected), key=lambda x: (x.occurred_at, x.link_id), reverse=True)
    rejected = sorted((x for x in links if x.rejected), key=lambda x: (x.occurred_at, x.link_id), reverse=True)
    contradicting = [x for x in live if x.role == LinkRole.CONTRADICTS]
    closing = [x for x in live if x.role == LinkRole.CLOSES]
    contradiction = max(contradicting, key=lambda x: x.role_at or x.occurred_at) if contradicting else None
    proof = None if contradiction else (max(closing, key=lambda x: x.role_at or x.occurred_at) if closing else None)
    n = len({x.event_id for x in live})
    confirmation = f"Подтверждено объективным контролем: {n} {plural(n, 'событие', 'события', 'событий')}" if n else ""
    proof_label = ""
    if proof is not None:
        proof_label = f"Устранение подтверждено: «{proof.title}» ({proof.source_name}) — {proof.resolution_label}, {proof.role_at_label}"
    contradiction_label = ""
    if contradiction is not None:
        if contradiction.state == EventState.ACTIVE and contradiction.role_at and contradiction.role_at > contradiction.occurred_at:
            what = f"«{contradiction.title}» ({contradiction.source_name}) продолжается после ответа"
        else:
            what = f"после ответа зафиксировано «{contradiction.title}» ({contradiction.source_name}), {contradiction.occurred_label}"
        contradiction_label = f"Объективный контроль не подтверждает устранение: {what}"
    return Evidence(appeal_id, live + rejected, bool(live), confirmation, proof, proof_label, contradiction, contradiction_label)


def evidence_for_appeals(appeal_ids: Iterable[int]) -> dict[int, Evidence]:
    """The evidence of each appeal (appeals with no linked event get an empty one): its own links
    and those of the other appeals of its problem (the problem is one problem of the place)."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return {}
    problem_of = dict(Appeal.objects.filter(pk__in=ids, problem__isnull=False).values_list("pk", "problem_id"))
    members: dict[int, set[int]] = defaultdict(set)
    if problem_of:
        for pk, problem in Appeal.objects.filter(problem_id__in=set(problem_of.values())).values_list("pk", "problem_id"):
            members[problem].add(pk)
    wanted = set(ids) | {pk for group in members.values() for pk in group}
    links = list(Link.objects.filter(appeal_id__in=wanted).select_related("event__source", "event__kind", "decided_by").order_by("pk"))
    by_appeal: dict[int, list[Link]] = defaultdict(list)
    for lk in links:
        by_appeal[lk.appeal_id].append(lk)
    out: dict[int, Evidence] = {}
    for pk in ids:
        group = members.get(problem_of.get(pk, -1), {pk}) | {pk}
        mine = [_linked(lk, pk) for member in sorted(group) for lk in by_appeal.get(member, [])]
        # One event linked with several appeals of the problem is shown once (the own link first).
        seen: dict[int, LinkedEvent] = {}
        for x in sorted(mine, key=lambda x: (not x.own, x.link_id)):
            seen.setdefault(x.event_id, x)
        out[pk] = _evidence(pk, list(seen.values()))
    return out


def evidence_for_appeal(appeal_id: int) -> Evidence:
    return evidence_for_appeals([appeal_id])[appeal_id]


@dataclass(frozen=True)
class ObjectiveFigures:
    """An organisation's answered appeals as objective monitoring sees them."""

    answered: int  # answers published
    linked: int  # of them, with a linked event (not rejected)
    proven: int  # of the linked, closure proven by the events (and not contradicted)
    contradicted: int  # answers the events contradict

    @property
    def proven_share(self) -> float | None:
        return self.proven / self.linked if self.linked else None


def _live(role: str | None = None) -> Exists:
    links = Link.objects.filter(appeal_id=OuterRef("pk")).exclude(status=LinkStatus.REJECTED)
    if role is not None:
        links = links.filter(role=role)
    return Exists(links)


def objective_summary_by_organisation(appeals: QuerySet[Appeal] | Q) -> dict[int | None, ObjectiveFigures]:
    """Per organisation id, over these appeals (a queryset or a condition on appeals, e.g.
    `Filters.appeals_q()`), those answered and what the linked events say of them."""
    qs = appeals if isinstance(appeals, QuerySet) else Appeal.objects.filter(appeals)
    rows = (
        qs.filter(published_at__isnull=False)
        .values("organisation_id")
        .annotate(
            answered=Count("pk"),
            linked=Count("pk", filter=Q(_live())),
            proven=Count("pk", filter=Q(_live(LinkRole.CLOSES)) & ~Q(_live(LinkRole.CONTRADICTS))),
            contradicted=Count("pk", filter=Q(_live(LinkRole.CONTRADICTS))),
        )
    )
    return {
        r["organisation_id"]: ObjectiveFigures(r["answered"], r["linked"], r["proven"], r["contradicted"]) for r in rows.order_by("organisation_id")
    }
