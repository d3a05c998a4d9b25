"""The page a person sees when the login is locked after too many wrong passwords (django-axes)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tsur.lib.ru import plural


def minutes_ru(n: int) -> str:
    return f"{n} {plural(n, 'минуту', 'минуты', 'минут')}"


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None) -> HttpResponse:
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "wait": minutes_ru(max(1, round(cooloff.total_seconds() / 60))) if cooloff else "",
    }
    return render(request, "accounts/locked.html", context, status=429)
