"""The operator workspace: the queue, «my appeals», staff alerts and the appeal card with its actions.

Views only parse input, check access and call the services (tsur.appeals.services,
tsur.answers.services). With HTMX a request gets the fragment it replaces; without JavaScript the
same URLs serve whole pages and forms post-redirect-get.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from tsur.accounts.models import Role
from tsur.accounts.roles import CENTER_ROLES
from tsur.answers.models import AnswerTemplate
from tsur.answers.services import render_template
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.appeals.privacy import appeal_text
from tsur.core import clock
from tsur.core.errors import ConcurrentUpdate, DomainError
from tsur.deadlines.models import StaffAlert
from tsur.workspace.actions import BY_NAME
from tsur.workspace.card import card_context
from tsur.workspace.guards import is_htmx, scoped_appeal, staff_required
from tsur.workspace.queries import PAGE_SIZE, QueueFilterForm, due_state, run_queue

CONCURRENT_NOTICE = "Обращение уже изменил другой пользователь. Ваше действие не выполнено: проверьте изменения и повторите его."


# --- navigation ---------------------------------------------------------------------------------


def alerts_for(user) -> QuerySet:
    """Reminders and escalations this user should see: their organisation's, and for the center's
    operators those addressed to the center (no organisation); always within the appeal scope."""
    role = access.role_of(user)
    m = access.membership_of(user)
    if role in access.OPERATOR_ROLES:
        cond = Q(organisation=None)
        if m and m.organisation_id:
            cond |= Q(organisation_id=m.organisation_id)
    elif role in access.ORGANISATION_ROLES and m and m.organisation_id:
        cond = Q(organisation_id=m.organisation_id)
    else:
        return StaffAlert.objects.none()
    return StaffAlert.objects.filter(cond, appeal__in=access.appeals_for(user)).select_related("appeal", "organisation")


def nav_context(request: HttpRequest, section: str) -> dict:
    user = request.user
    role = access.role_of(user)
    m = access.membership_of(user)
    scope_label = ""
    if m is not None and m.queue_id:
        scope_label = m.queue.name
    elif m is not None and m.organisation_id:
        scope_label = m.organisation.short_name
    return {
        "section": section,
        "nav_role": role,
        "nav_scope": scope_label,
        "nav_show_mine": role in access.ORGANISATION_ROLES,
        "nav_show_admin": role == Role.ADMINISTRATOR or user.is_staff,
        "nav_show_center": role in CENTER_ROLES,
        "nav_alerts_unseen": alerts_for(user).filter(seen_at=None).count(),
    }


# --- lists --------------------------------------------------------------------------------------


def _queue_page(request: HttpRequest, scope: QuerySet, *, section: str, title: str, url: str) -> HttpResponse:
    form = QueueFilterForm(request.GET)
    form.is_valid()
    pd = access.can_see_personal_data(request.user)
    result = run_queue(scope, form, personal_data=pd)
    page = Paginator(result.queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    now = clock.now()
    rows = [{"appeal": a, "text": appeal_text(a, pd=pd), "due_state": due_state(a, now)} for a in page.object_list]
    ctx = {
        "form": form,
        "result": result,
        "page": page,
        "rows": rows,
        "title": title,
        "list_url": url,
        "filtered": any(form.value(n) for n in ("q", "block", "category", "territory", "organisation", "channel", "overdue", "due_soon")),
    }
    if is_htmx(request):
        return render(request, "workspace/_queue_results.html", ctx)
    ctx.update(nav_context(request, section))
    return render(request, "workspace/queue.html", ctx)


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    return _queue_page(
        request, access.appeals_for(request.user), section="queue", title="Очередь обращений", url=reverse("workspace:queue")
    )


@staff_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    scope = access.appeals_for(request.user).filter(executor=request.user)
    return _queue_page(request, scope, section="mine", title="Мои обращения", url=reverse("workspace:mine"))


@staff_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "unseen")
    qs = alerts_for(request.user)
    if show != "all":
        qs = qs.filter(seen_at=None)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"page": page, "show": show}
    ctx.update(nav_context(request, "alerts"))
    return render(request, "workspace/alerts.html", ctx)


@staff_required
@require_POST
def alert_seen(request: HttpRequest) -> HttpResponse:
    ids = [int(x) for x in request.POST.getlist("alert") if x.isdigit()]
    qs = alerts_for(request.user).filter(seen_at=None)
    if request.POST.get("all") != "1":
        qs = qs.filter(pk__in=ids)
    # Marking an alert read is a UI state of the staff notice, not a change of the appeal.
    done = StaffAlert.objects.filter(pk__in=list(qs.values_list("pk", flat=True))).update(seen_at=clock.now())
    messages.success(request, f"Отмечено прочитанными: {done}.")
    return redirect(reverse("workspace:alerts"))


# --- the card -----------------------------------------------------------------------------------


def _render_card(
    request: HttpRequest,
    appeal: Appeal,
    *,
    forms: dict | None = None,
    open_action: str = "",
    error: str = "",
    concurrent: bool = False,
    status: int = 200,
) -> HttpResponse:
    ctx = card_context(appeal, request.user, forms=forms, open_action=open_action)
    ctx.update({"error": error, "concurrent": concurrent, "concurrent_notice": CONCURRENT_NOTICE})
    if is_htmx(request):
        return render(request, "workspace/_card.html", ctx, status=status)
    ctx.update(nav_context(request, "queue"))
    return render(request, "workspace/card.html", ctx, status=status)


@staff_required
@require_GET
def card(request: HttpRequest, number: str) -> HttpResponse:
    return _render_card(request, scoped_appeal(request.user, number))


def _version(request: HttpRequest) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@staff_required
@require_POST
def act(request: HttpRequest, number: str, name: str) -> HttpResponse:
    appeal = scoped_appeal(request.user, number)
    action = BY_NAME.get(name)
    if action is None:
        raise Http404("Неизвестное действие.")
    form = action.form(request.POST, appeal=appeal, prefix=action.name)
    version = _version(request)
    if version is None:
        return _render_card(request, appeal, forms={name: form}, open_action=name, concurrent=True, status=409)
    if not form.is_valid():
        return _render_card(request, appeal, forms={name: form}, open_action=name, error="Проверьте отмеченные поля.", status=422)
    try:
        message = action.run(appeal, request.user, form.cleaned_data, version)
    except ConcurrentUpdate:
        fresh = scoped_appeal(request.user, number)
        return _render_card(request, fresh, forms={name: form}, open_action=name, concurrent=True, status=409)
    except DomainError as exc:
        for field, errors in exc.field_errors.items():
            form.add_error(field if field in form.fields else None, errors)
        fresh = scoped_appeal(request.user, number)
        return _render_card(request, fresh, forms={name: form}, open_action=name, error=exc.message, status=exc.http_status)

    messages.success(request, message)
    still_visible = access.appeals_for(request.user).filter(pk=appeal.pk).exists()
    if not still_visible:
        # E.g. a coordinator transferred it away: the card is no longer theirs to see.
        messages.info(request, f"Обращение {appeal.number} вышло из вашей области видимости.")
        target = reverse("workspace:queue")
    else:
        target = reverse("workspace:card", args=[appeal.number])
    if is_htmx(request):
        if not still_visible:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return _render_card(request, scoped_appeal(request.user, number))
    return redirect(target)


@staff_required
@require_GET
def answer_template(request: HttpRequest, number: str) -> HttpResponse:
    """Render a chosen answer template into the form's textarea (an HTMX helper)."""
    appeal = scoped_appeal(request.user, number)
    prefix = request.GET.get("for", "")
    if prefix not in ("prepare_answer", "interim_answer") or not access.can(request.user, prefix, appeal):
        raise Http404("Шаблоны недоступны.")
    code = request.GET.get(f"{prefix}-template", "")
    template = AnswerTemplate.objects.filter(code=code, is_active=True).first() if code else None
    text = render_template(template, appeal) if template else request.GET.get(f"{prefix}-text", "")
    return render(request, "workspace/_answer_textarea.html", {"prefix": prefix, "text": text})
