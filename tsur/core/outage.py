"""The answer while the database is unreachable (restarting, failed over, the network cut): 503
with a Retry-After and a precise reason, not a 500 page. Django's handler500
(`tsur.core.pages.server_error`) asks `database_lost` about the exception it is handling.

Nothing here may touch the database: the page is rendered without the request's context
processors (they read the user from the session table)."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

RETRY_AFTER_SECONDS = 10
CODE = "database_unavailable"
TITLE = "Сервис временно недоступен"
MESSAGE = (
    "База данных временно недоступна, поэтому запрос не выполнен и ничего не сохранено. "
    f"Повторите попытку через {RETRY_AFTER_SECONDS} секунд."
)
API_MESSAGE = (
    "База данных временно недоступна: запрос не выполнен, ничего не сохранено. "
    f"Повторите его через {RETRY_AFTER_SECONDS} с (с тем же external_id — повтор не создаст второе обращение)."
)
# SQLSTATEs that mean the server or the connection is gone, not that this statement failed:
# class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot connect now).
_LOST_STATES = ("08", "57P01", "57P02", "57P03")


def database_lost(exc: BaseException | None) -> bool:
    """True when `exc` says the database cannot be reached at all. A deadlock or a timeout of one
    statement is an OperationalError too, but a real error of this request: it stays a 500."""
    if not isinstance(exc, OperationalError | InterfaceError):
        return False
    if isinstance(exc, InterfaceError):
        return True  # the connection was already closed
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if state is None:
        # psycopg could not connect or lost the socket (no server answer, so no SQLSTATE);
        # SQLite's "database is locked" is not an outage.
        return "locked" not in str(exc)
    return state.startswith(_LOST_STATES)


def current_exception_is_outage() -> bool:
    return database_lost(sys.exc_info()[1])


def outage_response(request: HttpRequest, *, machine_prefixes: tuple[str, ...]) -> HttpResponse:
    if request.path.startswith("/open311/"):  # the GeoReport v2 error list
        response: HttpResponse = JsonResponse([{"code": 503, "description": API_MESSAGE}], status=503, safe=False)
    elif request.path.startswith(machine_prefixes):
        body = {"code": CODE, "message": API_MESSAGE, "retry_after": RETRY_AFTER_SECONDS}
        response = JsonResponse(body, status=503, json_dumps_params={"ensure_ascii": False})
    else:
        context = {"status": 503, "title": TITLE, "message": MESSAGE, "staff": False, "back": ""}
        response = HttpResponse(render_to_string("errors/page.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
