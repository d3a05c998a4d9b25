"""The page a person sees when the login is locked after too many wrong passwords (django-axes)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def minutes_ru(n: int) -> str:
    n10, n100 = n % 10, n % 100
    word = "минуту" if n10 == 1 and n100 != 11 else "минуты" if 2 <= n10 <= 4 and not 12 <= n100 <= 14 else "минут"
    return f"{n} {word}"


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None) -> HttpResponse:
    cooloff = settings.AXES_COOLOFF_TIME
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "wait": minutes_ru(max(1, round(cooloff.total_seconds() / 60))) if cooloff else "",
    }
    return render(request, "accounts/locked.html", context, status=429)
