"""Who may open the situation center's pages: the region-wide roles (accounts.roles.CENTER_ROLES)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tsur.accounts.roles import is_center_role
from tsur.workspace.guards import staff_required


def center_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Staff only (else the login or the 403 page), and of them the center's roles."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_center_role(request.user):
            return render(
                request,
                "workspace/forbidden.html",
                {
                    "message": "Раздел ситуационного центра вам недоступен.",
                    "detail": "Показатели, карта и точки напряжённости открыты операторам ЦУР, аналитикам и администраторам.",
                },
                status=403,
            )
        return view(request, *args, **kwargs)

    return staff_required(wrapper)
