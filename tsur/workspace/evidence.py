"""«Объективный контроль» as the appeal card and a point of tension show it (one presenter for
both), over tsur.monitoring.queries; and the card's link corrections (confirm / reject with the
reason) through tsur.monitoring.links, open to whoever the service allows (operators in their
scope, the coordinator of the appeal's organisation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.core.errors import DomainError
from tsur.monitoring import links as link_services
from tsur.monitoring.models import EventState, Link, Resolution
from tsur.monitoring.queries import Evidence, evidence_for_appeal, evidence_for_appeals
from tsur.workspace.guards import staff_required


def for_card(appeal: Appeal, user) -> dict | None:
    """The card's section, or None when no event was ever linked with the appeal or its problem."""
    ev = evidence_for_appeal(appeal.pk)
    if not ev.events:
        return None
    # Events whose end proves nothing (a 112 card closed): their end is shown without a proof's name.
    no_proof = {x.event_id for x in ev.events if x.resolution_label == Resolution.NONE.label}
    return {"ev": ev, "can_correct": link_services.can_correct(user, appeal), "no_proof": no_proof}


def for_point(appeal_ids: Iterable[int]) -> dict | None:
    """The events linked with a point's appeals, each once, with how many of the appeals it is
    linked with; the point's objective state: confirmed, closure proven (every linked event
    resolved), or still going."""
    by_appeal: dict[int, Evidence] = evidence_for_appeals(appeal_ids)
    events: dict[int, dict] = {}
    for ev in by_appeal.values():
        for x in ev.events:
            if x.rejected:
                continue
            row = events.setdefault(x.event_id, {"x": x, "appeals": set()})
            row["appeals"].add(x.appeal_id)
    if not events:
        return None
    rows = sorted(events.values(), key=lambda r: (r["x"].occurred_at, r["x"].event_id))
    for r in rows:
        r["appeals_n"] = len(r["appeals"])
        # A 112 card's end is no proof of the fix: its time is shown without a proof's name.
        r["resolution"] = "" if r["x"].resolution_label == Resolution.NONE.label else r["x"].resolution_label
    confirmed = sum(1 for ev in by_appeal.values() if ev.confirmed)
    proven = sum(1 for ev in by_appeal.values() if ev.proven)
    contradicted = sum(1 for ev in by_appeal.values() if ev.contradicted)
    active = [r for r in rows if r["x"].state == EventState.ACTIVE]
    resolved = [r["x"].resolved_at for r in rows if r["x"].resolved_at]
    closure = ""
    if not active and resolved and not contradicted:
        last = max(resolved)
        closure = f"Объективное закрытие: все связанные события завершены, последнее — {_local(last)}"
    return {
        "rows": rows,
        "confirmed": confirmed,
        "proven": proven,
        "contradicted": contradicted,
        "active": len(active),
        "closure": closure,
        "total": len(by_appeal),
    }


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}"


def _back(link: Link) -> HttpResponse:
    return redirect("workspace:card", number=link.appeal.number)


def _correct(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    lk = get_object_or_404(Link.objects.select_related("appeal"), pk=pk)
    if not access.can_view(request.user, lk.appeal):
        return redirect("workspace:queue")
    try:
        run(lk)
    except DomainError as exc:
        detail = " ".join(m for ms in (exc.field_errors or {}).values() for m in ms)
        messages.error(request, f"{exc.message} {detail}".strip())
        return _back(lk)
    messages.success(request, done)
    return _back(lk)


@staff_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _correct(request, pk, lambda lk: link_services.confirm_link(lk, request.user, note), "Связь с событием подтверждена.")


@staff_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _correct(request, pk, lambda lk: link_services.reject_link(lk, request.user, note), "Связь с событием отклонена, причина записана.")
