"""Who is on the other end of a request: the client address that throttling counts by."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, or None when the request has none (a login made in code, e.g. by
    force_login: the login log's address column takes only real addresses). Behind
    TSUR_PROXY_COUNT trusted proxies, each of which appends the address it received from to
    X-Forwarded-For, the client is that many entries from the right; entries further left were
    written by the client itself and are never trusted."""
    peer = request.META.get("REMOTE_ADDR", "") or None
    proxies = settings.TSUR_PROXY_COUNT
    if proxies <= 0:
        return peer
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < proxies:
        return peer  # not the chain our proxies build: count the nearest hop we can name
    return forwarded[-proxies]
