"""Objective monitoring in the situation center (/workspace/center/monitoring/…): the sources with
their health, a source's page (a 24-hour chart, recent events, refusals with their reasons,
sensors in alarm), the events with filters, and an event's page (versions, the raw payload for
operators, linked appeals with the reasons, and the operators' corrections through
tsur.monitoring.links). Read-only except the three link actions."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tsur.accounts.roles import OPERATOR_ROLES, role_of
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.core.errors import DomainError, NotFound, ValidationFailed
from tsur.directory.models import Territory
from tsur.monitoring import links as link_services
from tsur.monitoring.mapping import number_ru
from tsur.monitoring.models import EventKind, EventState, Link, LinkStatus, MonitoringEvent, Reject, SensorState, Source
from tsur.workspace import evidence
from tsur.workspace.center.guards import center_required
from tsur.workspace.monitoring import health
from tsur.workspace.views import nav_context

SECTION = "center_monitoring"
EVENTS_PER_PAGE = 50
RECENT = 20


def _local(moment: dt.datetime | None) -> str:
    return f"{timezone.localtime(moment):%d.%m.%Y %H:%M}" if moment else "—"


@center_required
@require_GET
def sources(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    rows = []
    for h in health.sources_health(now):
        css, word = h.state(now)
        rows.append({"h": h, "css": css, "word": word, "last": _local(h.last_at)})
    totals = MonitoringEvent.objects.aggregate(active=Count("pk", filter=Q(state=EventState.ACTIVE)), linked=Count("links__appeal", distinct=True))
    ctx = {**nav_context(request, SECTION), "rows": rows, "totals": totals, "now": now}
    return render(request, "workspace/monitoring/sources.html", ctx)


@center_required
@require_GET
def source(request: HttpRequest, code: str) -> HttpResponse:
    src = get_object_or_404(Source, code=code)
    now = clock.now()
    h = health.source_health(src, now)
    css, word = h.state(now)
    recent = MonitoringEvent.objects.filter(source=src).select_related("kind").order_by("-received_at", "-pk")[:RECENT]
    rejects = Reject.objects.filter(source=src).order_by("-received_at", "-pk")[:RECENT]
    reasons = (
        Reject.objects.filter(source=src, received_at__gt=now - health.DAY).values("reason").annotate(n=Count("pk")).order_by("-n", "reason")[:10]
    )
    alarms = SensorState.objects.filter(source=src, alarm=True).select_related("event").order_by("sensor", "metric")
    metrics = (src.mapping or {}).get("metrics", {})
    ctx = {
        **nav_context(request, SECTION),
        "source": src,
        "h": h,
        "css": css,
        "word": word,
        "last": _local(h.last_at),
        "recent": recent,
        "rejects": rejects,
        "reasons": reasons,
        "alarms": [
            {
                "s": s,
                "label": (metrics.get(s.metric) or {}).get("label", s.metric),
                "value": f"{number_ru(s.value)} {(metrics.get(s.metric) or {}).get('unit', '')}".strip(),
            }
            for s in alarms
        ],
        "chart": {
            "hours": [x["hour"] for x in h.hourly],
            "received": [x["received"] for x in h.hourly],
            "rejected": [x["rejected"] for x in h.hourly],
        },
        "kinds": EventKind.objects.filter(source_kind=src.kind).order_by("name"),
    }
    return render(request, "workspace/monitoring/source.html", ctx)


def _filters(request: HttpRequest) -> tuple[health.EventFilters, list[str]]:
    errors: list[str] = []
    g = request.GET
    src = Source.objects.filter(code=g.get("source", "")).first() if g.get("source") else None
    if g.get("source") and src is None:
        errors.append("Такого источника нет.")
    kind = g.get("kind", "")
    if kind and not EventKind.objects.filter(code=kind).exists():
        errors.append("Такого вида события нет.")
        kind = ""
    state = g.get("state", "")
    if state and state not in EventState.values:
        errors.append("Такого состояния нет.")
        state = ""
    territory = None
    if g.get("territory"):
        territory = Territory.objects.filter(code=g["territory"]).values_list("pk", flat=True).first()
        if territory is None:
            errors.append("Такой территории нет в справочнике.")
    dates = {}
    for name in ("date_from", "date_to"):
        raw = (g.get(name) or "").strip()
        if raw:
            try:
                dates[name] = dt.date.fromisoformat(raw)
            except ValueError:
                errors.append(f"Дата «{raw[:20]}» не распознана: нужна дата вида ГГГГ-ММ-ДД.")
    if dates.get("date_from") and dates.get("date_to") and dates["date_from"] > dates["date_to"]:
        errors.append("Начало периода позже его конца.")
    return health.EventFilters(src, kind, state, territory, dates.get("date_from"), dates.get("date_to")), errors


@center_required
@require_GET
def events(request: HttpRequest) -> HttpResponse:
    filters, errors = _filters(request)
    page = Paginator(health.events(filters), EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    used = {e.territory_id for e in MonitoringEvent.objects.exclude(territory=None).only("territory_id").distinct()[:500]}
    ctx = {
        **nav_context(request, SECTION),
        "page": page,
        "errors": errors,
        "raw": request.GET,
        "query": query.urlencode(),
        "sources": Source.objects.order_by("name"),
        "kinds": EventKind.objects.order_by("source_kind", "name"),
        "states": EventState.choices,
        "territories": Territory.objects.filter(pk__in=used).order_by("name"),
    }
    return render(request, "workspace/monitoring/events.html", ctx, status=400 if errors else 200)


def _may_see_raw(user) -> bool:
    return role_of(user) in OPERATOR_ROLES


def _event_page(request: HttpRequest, event: MonitoringEvent, *, error: str = "", status: int = 200) -> HttpResponse:
    versions = list(event.versions.order_by("version", "pk"))
    links = list(
        Link.objects.filter(event=event)
        .select_related("appeal__category", "appeal__territory", "decided_by")
        .defer("appeal__territory__boundary")
        .order_by("status", "-score", "pk")
    )
    rows = []
    for lk in links:
        a = lk.appeal
        visible = access.can_view(request.user, a)
        rows.append({"lk": lk, "a": a, "visible": visible, "can_correct": visible and link_services.can_correct(request.user, a)})
    ctx = {
        **nav_context(request, SECTION),
        "event": event,
        "versions": versions,
        "show_raw": _may_see_raw(request.user),
        "links": rows,
        "live_links": sum(1 for r in rows if r["lk"].status != LinkStatus.REJECTED),
        "can_add": role_of(request.user) in OPERATOR_ROLES,
        "error": error,
        "form": request.POST if request.method == "POST" else {},
        "occurred": _local(event.occurred_at),
        "resolved": _local(event.resolved_at) if event.resolved_at else "",
    }
    return render(request, "workspace/monitoring/event.html", ctx, status=status)


def _event(pk: int) -> MonitoringEvent:
    return get_object_or_404(MonitoringEvent.objects.select_related("source", "kind", "territory").defer("territory__boundary"), pk=pk)


@center_required
@require_GET
def event(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_page(request, _event(pk))


@center_required
@require_GET
def frame(request: HttpRequest, pk: int) -> HttpResponse:
    """The camera's frame of an event, to the center's roles only (media are not served openly)."""
    e = _event(pk)
    if not e.image:
        raise Http404("У события нет кадра.")
    content_type = "image/png" if e.image.name.lower().endswith(".png") else "image/jpeg"
    response = FileResponse(e.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _correct(request: HttpRequest, pk: int, run, done: str) -> HttpResponse:
    e = _event(pk)
    try:
        run(e)
    except DomainError as exc:
        detail = " ".join(m for ms in (exc.field_errors or {}).values() for m in ms)
        return _event_page(request, e, error=f"{exc.message} {detail}".strip(), status=exc.http_status)
    messages.success(request, done)
    return redirect("workspace:center_monitoring_event", pk=e.pk)


def _link_of(e: MonitoringEvent, raw: str) -> Link:
    lk = Link.objects.filter(event=e, pk=int(raw)).first() if raw.isdigit() else None
    if lk is None:
        raise NotFound("Связь с событием не найдена.")
    return lk


@center_required
@require_POST
def confirm(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _correct(
        request, pk, lambda e: link_services.confirm_link(_link_of(e, request.POST.get("link", "")), request.user, note), "Связь подтверждена."
    )


@center_required
@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    return _correct(
        request,
        pk,
        lambda e: link_services.reject_link(_link_of(e, request.POST.get("link", "")), request.user, note),
        "Связь отклонена, причина записана.",
    )


def _appeal_by_number(raw: str) -> Appeal:
    a = Appeal.objects.filter(number=raw.strip()).first() if raw.strip() else None
    if a is None:
        raise ValidationFailed("Обращение с таким номером не найдено.", field_errors={"number": ["Проверьте номер обращения."]})
    return a


@center_required
@require_POST
def add(request: HttpRequest, pk: int) -> HttpResponse:
    note = request.POST.get("note", "")
    number = request.POST.get("number", "")
    return _correct(
        request,
        pk,
        lambda e: link_services.add_link(e, _appeal_by_number(number), request.user, note),
        f"Событие связано с обращением {number.strip()}.",
    )


urlpatterns = [
    path("monitoring/", sources, name="center_monitoring"),
    path("monitoring/sources/<slug:code>/", source, name="center_monitoring_source"),
    path("monitoring/events/", events, name="center_monitoring_events"),
    path("monitoring/events/<int:pk>/", event, name="center_monitoring_event"),
    path("monitoring/events/<int:pk>/frame/", frame, name="center_monitoring_frame"),
    path("monitoring/events/<int:pk>/confirm/", confirm, name="center_monitoring_confirm"),
    path("monitoring/events/<int:pk>/reject/", reject, name="center_monitoring_reject"),
    path("monitoring/events/<int:pk>/add/", add, name="center_monitoring_add"),
    # From the appeal card (staff the link service allows, not only the center's roles).
    path("monitoring/links/<int:pk>/confirm/", evidence.confirm, name="monitoring_link_confirm"),
    path("monitoring/links/<int:pk>/reject/", evidence.reject, name="monitoring_link_reject"),
]
