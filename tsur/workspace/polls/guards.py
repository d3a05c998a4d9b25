"""Who works with polls in the workspace: the center's roles read them and their results; regional
operators and administrators build, publish and close them (analysts read only)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tsur.accounts.models import Role
from tsur.accounts.roles import is_center_role, role_of
from tsur.workspace.guards import staff_required

BUILDER_ROLES = frozenset({Role.REGIONAL_OPERATOR, Role.ADMINISTRATOR})


def may_build(user) -> bool:
    return role_of(user) in BUILDER_ROLES


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request,
        "workspace/forbidden.html",
        {"message": message, "detail": "Опросы ведут операторы ЦУР регионального уровня и администраторы; аналитики видят итоги."},
        status=403,
    )


def polls_reader(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_center_role(request.user):
            return forbidden(request, "Раздел опросов вам недоступен.")
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def polls_builder(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not may_build(request.user):
            return forbidden(request, "Создавать и менять опросы могут операторы ЦУР и администраторы.")
        return view(request, *args, **kwargs)

    return staff_required(wrapper)
