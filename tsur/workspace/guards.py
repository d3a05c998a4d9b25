"""Who may enter the workspace, and how an appeal is looked up within the user's scope."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse

from tsur.accounts.models import Role
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.core.errors import AccessDenied
from tsur.workspace import directory


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous users go to the login page; residents to their cabinet; users without a role get a 403 page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            if request.headers.get("HX-Request") == "true":
                # The session ended while the page was open: send the whole page to the login,
                # instead of swapping the login form into a fragment.
                current = urlsplit(request.headers.get("HX-Current-URL", ""))
                back = current.path + (f"?{current.query}" if current.query else "") if current.path else request.path
                response = HttpResponse(status=204)
                response["HX-Redirect"] = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': back})}"
                return response
            return redirect_to_login(request.get_full_path())
        if access.role_of(request.user) == Role.RESIDENT:
            # A resident with an account (after the login, which lands on the workspace) has
            # their own cabinet: send them there instead of a «Нет доступа» page.
            return HttpResponseRedirect(reverse("intake:cabinet"))
        try:
            access.require_staff(request.user)
        except AccessDenied as exc:
            return render(
                request,
                "workspace/forbidden.html",
                {"message": exc.message, "detail": "Рабочее место доступно сотрудникам ЦУР и организаций-исполнителей."},
                status=403,
            )
        return view(request, *args, **kwargs)

    return wrapper


def scoped_appeal(user, number: str) -> Appeal:
    """The appeal with this number if the user may see it; 404 otherwise (never reveal existence)."""
    appeal = access.appeals_for(user).select_related("executor", "resident", "problem__lead").filter(number=number).first()
    if appeal is None:
        raise Http404("Обращение не найдено или недоступно.")
    directory.attach([appeal])  # the directory's rows from the process's copy, not five more joins
    return appeal


def is_htmx(request: HttpRequest) -> bool:
    """A partial is wanted: an HTMX request that is not a history restore (which needs the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-History-Restore-Request") != "true"
