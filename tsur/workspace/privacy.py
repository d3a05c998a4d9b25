"""Personal data for administrators (152-FZ): who opened whose personal data, residents' deletion
requests and the purges.

The access log reads the `personal_data_viewed` events that every screen showing a resident's
contacts writes (the card, the API's appeal detail); the resident is named by pseudonym only, so
the log itself shows no personal data. Requests are executed or refused through
`appeals.services.retention`, the same service as the retention purge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tsur.accounts.models import Role
from tsur.appeals import access
from tsur.appeals.models import Appeal, DataRequest, Event, PurgeRun, Status
from tsur.appeals.services import PD_VIEW_EVENT
from tsur.appeals.services.retention import FINISHED, execute_request, refuse_request
from tsur.core.errors import DomainError
from tsur.workspace.guards import staff_required
from tsur.workspace.views import nav_context

PER_PAGE = 50


def _forbidden(request: HttpRequest) -> HttpResponse | None:
    if access.role_of(request.user) != Role.ADMINISTRATOR:
        return render(
            request, "workspace/forbidden.html",
            {"message": "Недостаточно прав.", "detail": "Журнал доступа к персональным данным и запросы жителей доступны только администраторам."},
            status=403,
        )
    return None


@dataclass(frozen=True)
class ViewRow:
    at: dt.datetime
    who: str
    role: str
    number: str
    what: str
    pseudonym: str


def _date(raw: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(raw.strip()) if raw and raw.strip() else None
    except ValueError:
        return None


@staff_required
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    """«Журнал доступа к персональным данным»: filters by user, appeal number and period."""
    refused = _forbidden(request)
    if refused is not None:
        return refused
    q = request.GET
    user_q, number_q = q.get("user", "").strip(), q.get("appeal", "").strip()
    date_from, date_to = _date(q.get("from", "")), _date(q.get("to", ""))
    events = Event.objects.filter(kind=PD_VIEW_EVENT).select_related("actor__membership", "appeal__resident").order_by("-at", "-pk")
    if user_q:
        events = events.filter(actor__username=user_q)
    if number_q:
        events = events.filter(appeal__number=number_q)
    tz = timezone.get_current_timezone()
    if date_from:
        events = events.filter(at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        events = events.filter(at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    page = Paginator(events, PER_PAGE).get_page(q.get("page"))
    roles = dict(Role.choices)
    rows = [
        ViewRow(
            at=e.at,
            who=e.actor_label or (e.actor.get_username() if e.actor else "—"),
            role=roles.get(access.role_of(e.actor) or "", "—") if e.actor else "—",
            number=e.appeal.number,
            what=e.reason or "Просмотр персональных данных",
            pseudonym=e.appeal.resident.pseudonym if e.appeal.resident_id else "—",
        )
        for e in page.object_list
    ]
    users = get_user_model().objects.filter(pk__in=Event.objects.filter(kind=PD_VIEW_EVENT).values("actor_id")).order_by("username")
    query = "&".join(f"{k}={v}" for k, v in (("user", user_q), ("appeal", number_q), ("from", q.get("from", "")), ("to", q.get("to", ""))) if v)
    ctx = {"rows": rows, "page": page, "users": users, "user_q": user_q, "number_q": number_q,
           "from_q": q.get("from", ""), "to_q": q.get("to", ""), "query": query}
    ctx.update(nav_context(request, "privacy"))
    return render(request, "workspace/privacy/access_log.html", ctx)


@dataclass(frozen=True)
class RequestRow:
    request: DataRequest
    pseudonym: str
    numbers: list[str]
    open_appeals: int
    overdue: bool


@staff_required
@require_GET
def requests(request: HttpRequest) -> HttpResponse:
    """«Запросы жителей об удалении данных»: pending first by due date, then the decided ones."""
    refused = _forbidden(request)
    if refused is not None:
        return refused
    show_all = request.GET.get("show") == "all"
    qs = DataRequest.objects.select_related("resident", "decided_by").order_by("due_at", "pk")
    if not show_all:
        qs = qs.filter(state=DataRequest.State.PENDING)
    now = timezone.now()
    rows = []
    for r in qs[:200]:
        appeals = list(Appeal.objects.filter(resident_id=r.resident_id).values_list("number", "status"))
        rows.append(RequestRow(
            request=r, pseudonym=r.resident.pseudonym, numbers=[n for n, _ in appeals],
            open_appeals=sum(1 for _, s in appeals if s not in FINISHED),
            overdue=r.state == DataRequest.State.PENDING and r.due_at < now,
        ))
    ctx = {"rows": rows, "show_all": show_all, "runs": PurgeRun.objects.select_related("actor")[:20],
           "closed_label": Status.CLOSED.label}
    ctx.update(nav_context(request, "privacy"))
    return render(request, "workspace/privacy/requests.html", ctx)


@staff_required
@require_POST
def request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _forbidden(request)
    if refused is not None:
        return refused
    try:
        if request.POST.get("decision") == "refuse":
            refuse_request(pk, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, "Отказ записан, житель увидит его причину.")
        else:
            execute_request(pk, actor=request.user)
            messages.success(request, "Персональные данные жителя обезличены.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(reverse("workspace:privacy_requests"))
