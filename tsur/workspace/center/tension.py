"""Points of tension in the situation center: the ranked list with the shared filters and
state/handling chips (`center_tension`), a point's page with its explanation, trend chart, the
appeals behind it and the decisions (`center_tension_point`), and the decisions' POST endpoints.
The points come from tsur.tension (queries for reading, services for the decisions)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from tsur.analytics.filters import Filters, choices
from tsur.core.errors import DomainError, ValidationFailed
from tsur.directory.models import Organisation
from tsur.lib.ru import plural
from tsur.tension import naming, queries, services
from tsur.tension.engine.explain import number
from tsur.tension.models import Handling, State, TensionPoint
from tsur.workspace import evidence
from tsur.workspace.center import weekly_format as fmt
from tsur.workspace.center import weekly_tension
from tsur.workspace.center.guards import center_required
from tsur.workspace.views import nav_context

SECTION = "center_tension"
LIST_LIMIT = 300
APPEALS_PER_PAGE = 50


def _chips(request: HttpRequest, all_points: list[TensionPoint], filters: Filters | None) -> dict:
    """State and handling chips with their counts; each keeps the filters and the other chip."""
    state = request.GET.get("state", "")
    handling = request.GET.get("handling", "")
    base = filters.params() if filters is not None else {}

    def link(**change: str) -> str:
        params = {**base, "state": state, "handling": handling, **change}
        return "?" + urlencode({k: v for k, v in params.items() if v})

    states = [{"label": "все", "href": link(state=""), "active": not state, "count": len(all_points)}]
    for value, label in State.choices:
        n = sum(1 for p in all_points if p.state == value)
        states.append({"label": label, "href": link(state=value), "active": state == value, "count": n})
    handlings = [{"label": "все", "href": link(handling=""), "active": not handling, "count": len(all_points)}]
    for value, label in Handling.choices:
        n = sum(1 for p in all_points if p.handling == value)
        handlings.append({"label": label, "href": link(handling=value), "active": handling == value, "count": n})
    return {"states": states, "handlings": handlings}


def _row(p: TensionPoint) -> dict:
    """A list row: the episode's lead with its place named, its neighbours and folded points."""
    group = p.group
    return {
        "p": p,
        "topic": p.category.name if p.category_id else f"{p.block.name} (весь блок)",
        "place": naming.place_name(p),
        "neighbours": weekly_tension.neighbours_phrase(len(group.neighbours)) if group.neighbours else "",
        "folded": group.folded,
        "explanation": naming.facts_of(p),
        "score": weekly_tension.score_label(p.group_score),
        "count": fmt.number(group.count),
        "expected": fmt.number(round(group.expected, 1)),
    }


@center_required
@require_GET
def tension_list(request: HttpRequest) -> HttpResponse:
    ctx = {**nav_context(request, SECTION), "filter_choices": choices(), "action": reverse("workspace:center_tension")}
    try:
        filters = Filters.parse(request.GET)
    except ValidationFailed as exc:
        ctx.update({"error": exc.message, "raw": request.GET, "points": [], "filters": None, **_chips(request, [], None)})
        return render(request, "workspace/center/tension.html", ctx, status=400)
    state = request.GET.get("state", "")
    handling = request.GET.get("handling", "")
    # Closed points (resolved, dismissed) are listed when a chip asks for them.
    include_closed = state == State.RESOLVED or handling == Handling.DISMISSED or request.GET.get("closed") == "1"
    all_points = queries.points(filters, limit=LIST_LIMIT, include_closed=include_closed)
    shown = [p for p in all_points if (not state or p.state == state) and (not handling or p.handling == handling)]
    rows = [_row(p) for p in shown]
    ctx.update({"filters": filters, "raw": filters.params(), "points": rows, "limit": LIST_LIMIT, **_chips(request, all_points, filters)})
    if state:
        ctx["extra_hidden"] = {"state": state}
    if handling:
        ctx.setdefault("extra_hidden", {})["handling"] = handling
    return render(request, "workspace/center/tension.html", ctx)


def _point_page(request: HttpRequest, point: TensionPoint, *, error: str = "", field_errors: dict | None = None, status: int = 200) -> HttpResponse:
    group = queries.episode(point)
    members = group.members
    # The lead of its episode is titled with its neighbouring cells; any other member on its own.
    point.group = group if group.lead.pk == point.pk else None
    naming.name_points([point])
    group_text = ""
    if point.group is not None and group.neighbours:
        n = len(group.units)
        group_text = (
            f"Всего на {n} {plural(n, 'соседнем участке', 'соседних участках', 'соседних участках')}: {group.count} "
            f"{plural(group.count, 'обращение', 'обращения', 'обращений')} при обычных {number(group.expected)}."
        )
    appeals = queries.point_appeals(point, request.user, members=members)
    page = Paginator(appeals, APPEALS_PER_PAGE).get_page(request.GET.get("page"))
    ctx = {
        **nav_context(request, SECTION),
        "point": point,
        "title": weekly_tension.title_of(point),
        "explanation": naming.explanation_of(point),
        "group": group,
        "group_text": group_text,
        "lead": group.lead if group.lead.pk != point.pk else None,
        "related": [p for p in members if p.pk != point.pk],
        "score_label": weekly_tension.score_label(queries.cap(point.score)),
        "surprise": queries.cap(point.surprise),
        "page": page,
        "hidden_appeals": max(queries.appeals_total(members) - appeals.count(), 0),
        "actions": point.actions.select_related("actor", "organisation"),
        "organisations": Organisation.objects.filter(is_active=True).order_by("short_name"),
        "chart": {
            "days": [d["day"] for d in point.series],
            "counts": [d["count"] for d in point.series],
            "expected": [d["expected"] for d in point.series],
            "start": point.window_start.isoformat(),
            "end": point.window_end.isoformat(),
        },
        "error": error,
        "field_errors": field_errors or {},
        "form": request.POST if request.method == "POST" else {},
        "can_acknowledge": point.handling == Handling.OPEN,
        "can_dismiss": point.handling != Handling.DISMISSED,
        # Events linked with the episode's appeals, and its objective closure (tsur.monitoring).
        "objective": evidence.for_point(
            TensionPoint.appeals.through.objects.filter(tensionpoint_id__in=[m.pk for m in members]).values_list("appeal_id", flat=True)
        ),
    }
    return render(request, "workspace/center/tension_point.html", ctx, status=status)


@center_required
@require_GET
def tension_point(request: HttpRequest, pk: int) -> HttpResponse:
    point = get_object_or_404(TensionPoint.objects.select_related("block", "category", "territory", "organisation"), pk=pk)
    return _point_page(request, point)


def _decide(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    point = get_object_or_404(TensionPoint.objects.select_related("block", "category", "territory", "organisation"), pk=pk)
    try:
        run(point)
    except DomainError as exc:
        point.refresh_from_db()
        return _point_page(request, point, error=exc.message, field_errors=exc.field_errors, status=exc.http_status)
    messages.success(request, done)
    return redirect("workspace:center_tension_point", pk=point.pk)


@center_required
@require_POST
def acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _decide(request, pk, lambda p: services.acknowledge_point(p, request.user, note), "Точка принята к сведению.")


@center_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    raw = request.POST.get("organisation", "").strip()
    organisation = Organisation.objects.filter(code=raw, is_active=True).first() if raw else None
    note = request.POST.get("note", "")
    name = organisation.short_name if organisation else ""
    return _decide(request, pk, lambda p: services.assign_point(p, request.user, organisation, note), f"Точка передана организации «{name}».")


@center_required
@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    reason = request.POST.get("reason", "")
    return _decide(request, pk, lambda p: services.dismiss_point(p, request.user, reason), "Точка отклонена, причина записана.")


urlpatterns = [
    path("tension/", tension_list, name="center_tension"),
    path("tension/<int:pk>/", tension_point, name="center_tension_point"),
    path("tension/<int:pk>/acknowledge/", acknowledge, name="center_tension_acknowledge"),
    path("tension/<int:pk>/assign/", assign, name="center_tension_assign"),
    path("tension/<int:pk>/dismiss/", dismiss, name="center_tension_dismiss"),
]
