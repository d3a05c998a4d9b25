"""The operator workspace: the queue, «my appeals», staff alerts and the appeal card with its actions.

Views only parse input, check access and call the services (tsur.appeals.services,
tsur.answers.services). With HTMX a request gets the fragment it replaces; without JavaScript the
same URLs serve whole pages and forms post-redirect-get.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
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
from tsur.core.errors import ConcurrentUpdate, DomainError
from tsur.deadlines.models import StaffAlert
from tsur.escalation.inbox import alerts_for, mark_appeal_read, mark_read, unread_for
from tsur.workspace.actions import BY_NAME
from tsur.workspace.card import card_context
from tsur.workspace.guards import is_htmx, scoped_appeal, staff_required
from tsur.workspace.navigation import remember_card
from tsur.workspace.queries import PAGE_SIZE

CONCURRENT_NOTICE = "Обращение уже изменил другой пользователь. Ваше действие не выполнено: проверьте изменения и повторите его."


# --- navigation ---------------------------------------------------------------------------------


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
        "nav_show_privacy": role == Role.ADMINISTRATOR,  # tsur.workspace.privacy
        "nav_show_center": role in CENTER_ROLES,
        "nav_alerts_unseen": unread_for(user).count(),
    }


# --- lists --------------------------------------------------------------------------------------
# The queue and «my appeals» live in tsur.workspace.views_queue.


@staff_required
@require_GET
def alerts(request: HttpRequest) -> HttpResponse:
    """«Сигналы»: unread or all, of one kind, only those addressed to me personally."""
    show = request.GET.get("show", "unseen")
    kind = request.GET.get("kind", "")
    mine_only = request.GET.get("mine") == "1"
    qs = alerts_for(request.user)
    if show != "all":
        qs = qs.filter(is_read=False)
    if kind in StaffAlert.Kind.values:
        qs = qs.filter(kind=kind)
    if mine_only:
        qs = qs.filter(user=request.user)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {"page": page, "show": show, "kind": kind, "mine_only": mine_only, "kinds": StaffAlert.Kind.choices}
    ctx.update(nav_context(request, "alerts"))
    return render(request, "workspace/alerts.html", ctx)


@staff_required
@require_POST
def alert_seen(request: HttpRequest) -> HttpResponse:
    ids = [int(x) for x in request.POST.getlist("alert") if x.isdigit()]
    qs = unread_for(request.user)
    if request.POST.get("all") != "1":
        qs = qs.filter(pk__in=ids)
    # Marking a signal read is a UI state of the staff notice, for this user, not a change of the appeal.
    done = mark_read(request.user, qs)
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
    appeal = scoped_appeal(request.user, number)
    mark_appeal_read(request.user, appeal.pk)  # opening the card reads its signals (tsur.escalation.inbox)
    remember_card(request, appeal)  # «Следующее →» steps from where it stood in the queue
    return _render_card(request, appeal)


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
    form = action.form(request.POST, request.FILES, appeal=appeal, prefix=action.name)
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
    # The form's own textarea (with the live check), checking the template's text at once.
    form = BY_NAME[prefix].form(appeal=appeal, prefix=prefix, initial={"text": text}, check_on_load=True)
    return render(request, "workspace/_answer_textarea.html", {"field": form["text"]})
