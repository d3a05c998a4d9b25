"""Error pages: Russian pages with a way back for people, JSON for the API and Open311 clients."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from tsur.core import outage

MACHINE_PREFIXES = ("/api/", "/open311/")

PAGES: dict[int, tuple[str, str, str]] = {
    # status: (API code, title, explanation)
    400: ("bad_request", "Неверный запрос", "Запрос не удалось разобрать. Вернитесь на предыдущую страницу и повторите действие."),
    403: ("access_denied", "Нет доступа", "У вас нет прав на эту страницу. Если вы считаете, что это ошибка, обратитесь к администратору."),
    404: ("not_found", "Страница не найдена", "Такой страницы нет: возможно, ссылка устарела или в адресе опечатка."),
    500: ("server_error", "Ошибка на сервере", "Что-то пошло не так на нашей стороне. Ошибка записана; повторите попытку через несколько минут."),
}


def error_page(request: HttpRequest, status: int, *, title: str = "", message: str = "") -> HttpResponse:
    code, default_title, default_message = PAGES[status]
    message = message or default_message
    if request.path.startswith(MACHINE_PREFIXES):
        body = {"code": code, "message": message}
        if request.path.startswith("/open311/"):  # the GeoReport v2 error list
            return JsonResponse([{"code": status, "description": message}], status=status, safe=False)
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    staff = bool(getattr(request, "user", None) and request.user.is_authenticated)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = ""
    context = {"status": status, "title": title or default_title, "message": message, "staff": staff, "back": back}
    return render(request, "errors/page.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    if outage.current_exception_is_outage():  # the database is down: 503, retry later
        return outage.outage_response(request, machine_prefixes=MACHINE_PREFIXES)
    return error_page(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid CSRF token: most often a page left open for long, or cookies
    switched off. Nothing was saved; the person needs to reload the form."""
    return error_page(
        request,
        403,
        title="Форма устарела",
        message="Форма была открыта слишком давно или в браузере отключены cookies, поэтому данные не сохранены. "
        "Вернитесь назад, обновите страницу и отправьте форму ещё раз.",
    )
