"""Request-level guards shared by every page and endpoint."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


def human_size(n: int) -> str:
    """A byte count in Russian units, never rounded down to zero."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} МБ".replace(".", ",")
    if n >= 1024:
        return f"{n / 1024:.3g} КБ".replace(".", ",")
    return f"{n} Б"


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies before any view reads them, so nothing is half-written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.TSUR_MAX_REQUEST_BYTES:
            message = f"Запрос слишком большой: не более {human_size(settings.TSUR_MAX_REQUEST_BYTES)} вместе с фотографиями."
            if request.path.startswith(("/api/", "/open311/")):
                return JsonResponse({"code": "request_too_large", "message": message}, status=413)
            return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class FrameOptionsMiddleware:
    """Pages may be framed only by this site, except the resident widget, which official sites
    embed in an iframe: for it, CSP frame-ancestors lists the sites allowed
    (TSUR_WIDGET_FRAME_ANCESTORS) and the older X-Frame-Options header is dropped."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/widget/"):
            response.headers.pop("X-Frame-Options", None)
            # Read by the CSP middleware, which wraps this one.
            response._csp_replace = {"frame-ancestors": list(settings.TSUR_WIDGET_FRAME_ANCESTORS)}
        else:
            response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        return response


class PrivatePagesMiddleware:
    """No shared cache (a proxy, a corporate gateway) may keep a page that one reader was allowed
    to see: anything answered to a logged-in session or an API key, and the resident's pages
    opened by an appeal's private key. The browser must not keep them either (a shared computer
    in a library or an MFC hall), so: private, no-store. A view that set its own Cache-Control
    (attachments: private, max-age) is left alone; public pages stay cacheable."""

    PRIVATE_PREFIXES = ("/status/", "/cabinet/", "/attachments/", "/widget/done/", "/api/public/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if (
            (user is not None and user.is_authenticated)
            or "HTTP_AUTHORIZATION" in request.META
            or (request.path.startswith(self.PRIVATE_PREFIXES) and request.path.count("/") > 3)
        ):
            response["Cache-Control"] = "private, no-store"
        return response
