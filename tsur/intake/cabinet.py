"""The resident's web cabinet (/cabinet/) and the reply to a clarification request.

A resident with an account (Role.RESIDENT, linked to their appeals through `Resident.user`) logs in
at the usual login page and lands here (the workspace sends residents here instead of refusing
them). The cabinet lists their appeals; each opens the appeal's own status page — the same page
and presenter (`resident_view`) as the private link, so the story is told once. Staff are sent to
the workspace; another resident's appeal is not in the list and its page is reached only by its key.

The reply to a clarification is posted from the status page (so from the cabinet too): it is the
resident's message (`add_resident_message`), which answers the open question.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from tsur.accounts.models import Role
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.appeals.services import add_resident_message
from tsur.core.errors import DomainError
from tsur.core.throttle import Throttled, check_intake
from tsur.intake import resident_view
from tsur.intake.resident_forms import ReplyForm
from tsur.intake.views import _base_context, _find_appeal, _render_status, _status_path, not_found

# The source recorded with a reply written on the site (the status page or the cabinet).
REPLY_SOURCE = "status_page"


@dataclass(frozen=True)
class CabinetRow:
    appeal: Appeal
    status_title: str
    awaits_rating: bool
    question: resident_view.OpenQuestion | None
    url: str


def _rows(user) -> list[CabinetRow]:
    appeals = access.appeals_for(user).select_related("category", "resident").order_by("-received_at", "-pk")[:200]
    return [
        CabinetRow(
            appeal=a,
            status_title=resident_view.status_title(a),
            awaits_rating=resident_view.can_rate(a) and not a.ratings.exists(),
            question=resident_view.open_clarification(a),
            url=_status_path(a),
        )
        for a in appeals
    ]


@require_GET
def cabinet(request: HttpRequest) -> HttpResponse:
    redirect = _resident_or_redirect(request)
    if redirect is not None:
        return redirect
    rows = _rows(request.user)
    ctx = _base_context(request)
    ctx.update(
        rows=rows,
        waiting=[r for r in rows if r.question is not None or r.awaits_rating],
        display_name=request.user.get_full_name() or request.user.get_username(),
    )
    response = render(request, "intake/cabinet/index.html", ctx)
    response["Cache-Control"] = "private, no-store"
    return response


def _resident_or_redirect(request: HttpRequest) -> HttpResponse | None:
    """None for a signed-in resident; otherwise where to send the visitor."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if access.role_of(request.user) != Role.RESIDENT:
        return HttpResponseRedirect(reverse("workspace:queue") if access.is_staff_role(request.user) else settings.LOGIN_URL)
    return None


@require_GET
def cabinet_appeal(request: HttpRequest, number: str) -> HttpResponse:
    """/cabinet/<number>/: the resident's own appeal by its number alone (the page is the key
    page); another resident's or an unknown number is the same 404."""
    redirect = _resident_or_redirect(request)
    if redirect is not None:
        return redirect
    appeal = access.appeals_for(request.user).filter(number=number).first()
    if appeal is None:
        return not_found(request)
    return HttpResponseRedirect(_status_path(appeal))


@require_POST
def status_reply(request: HttpRequest, number: str, key: str) -> HttpResponse:
    """The resident answers the open clarification request from the status page."""
    appeal = _find_appeal(number, key)
    if appeal is None:
        return not_found(request)
    form = ReplyForm(request.POST)
    if resident_view.open_clarification(appeal) is None:
        # Answered meanwhile (in the channel, in another tab) or the appeal is no longer worked on.
        form.is_valid()
        form.add_error(None, "Вопрос уже закрыт: ответ получен или обращение больше не рассматривается.")
        return _render_status(request, appeal, reply_form=form, status=409)
    if not form.is_valid():
        return _render_status(request, appeal, reply_form=form, status=400)
    try:
        check_intake(request)
        add_resident_message(appeal, text=form.cleaned_data["text"], photos=[], source=REPLY_SOURCE)
    except DomainError as exc:
        form.add_error(None, exc.message)
        response = _render_status(request, appeal, reply_form=form, status=exc.http_status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.retry_after)
        return response
    return HttpResponseRedirect(f"{_status_path(appeal)}?replied=1#clarification")
