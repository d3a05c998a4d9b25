"""The JSON API (/api/): intake for the mobile app and integrations, the resident's status and
rating, reference data, and the staff's list, card and lifecycle actions.

Authentication: `Authorization: Bearer <key>` (tsur.accounts.models.ApiToken) or the Django
session (with CSRF on unsafe methods). Every error is JSON `{"code", "message", "fields"?}`.
"""

from __future__ import annotations

import copy

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from tsur.core.errors import DomainError
from tsur.intake import api_actions, api_appeals, api_docs, api_monitoring, api_polls, api_public, api_reference
from tsur.intake.api_docs import LocalSwagger
from tsur.lib.safetext import BROKEN_TEXT

DESCRIPTION = """API платформы ЦУР: приём обращений из мобильного приложения и интеграций, статус и оценка
для жителя, справочники, список и карточка обращений и действия жизненного цикла для сотрудников.

Авторизация: заголовок `Authorization: Bearer <ключ>` (API-ключ) или сессия входа в систему (для
изменяющих запросов — с CSRF-токеном). Без авторизации доступны только подача обращения, справочники
категорий и территорий и статус обращения по ключу доступа жителя.

Объективный мониторинг (`/api/monitoring/…`): внешние системы передают события со своим ключом источника
(`Authorization: Bearer <ключ источника>`, выдаёт администратор), не с ключом пользователя.

Опросы жителей (`/api/polls/…`): список текущих опросов, опрос с вопросами, одноразовый код на телефон
или e-mail и голос — с ключом жителя (разрешение `resident`), с кодом или по приглашению; один житель —
один голос (409 `already_voted`).

Ключ выдаётся с разрешениями (`open311`, `intake`, `resident`, `staff_read`, `staff_write`) и действует
только в их пределах и в пределах роли своего пользователя.

Ошибки — JSON `{"code", "message", "fields"?}`: 400 — тело запроса не разобрано, 401 — нет или неверный
ключ, 403 — действие запрещено (`access_denied`) или ключ без нужного разрешения (`scope_missing`),
404 — обращение не найдено или вне вашей области видимости, 409 — `concurrent_update` (обращение уже
изменил другой пользователь: обновите карточку) или `transition_not_allowed`, 413 — слишком большой
запрос, 415 — тело не JSON, 422 — `validation_failed` с ошибками по полям, 429 — `throttled`: слишком
много обращений, повторите через `Retry-After` секунд. Каждая операция перечисляет коды, которые она
может вернуть."""

class UnsupportedMediaType(Exception):
    """A JSON body sent under another content type (a form post, text/plain): refused with 415, so
    a cross-site form cannot pass for an API client and a client learns its header is wrong."""


class JsonParser(Parser):
    def parse_body(self, request: HttpRequest):
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise UnsupportedMediaType(content_type)
        return super().parse_body(request)


class SchemaOnceAPI(NinjaAPI):
    """The OpenAPI schema is built from the routers, which do not change while the process runs:
    built once per path prefix (~270 ms for this API) instead of for every GET /api/openapi.json,
    which anybody may send. Each caller gets its own copy, so none can change the next one's."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        built = self.__dict__.setdefault("_tsur_schemas", {})
        if path_prefix not in built:
            built[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return copy.deepcopy(built[path_prefix])


api = SchemaOnceAPI(
    title="ЦУР API",
    parser=JsonParser(),
    version="1",
    description=DESCRIPTION,
    docs=LocalSwagger(),
    urls_namespace="api",
)

# Order matters where paths overlap: /appeals/multipart must come before /appeals/{number}.
api.add_router("", api_appeals.router)
api.add_router("", api_actions.router)
api.add_router("", api_public.router)
api.add_router("", api_reference.router)
api.add_router("", api_docs.router)
api.add_router("", api_monitoring.router)
api.add_router("", api_polls.router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.http_status)
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(exc.retry_after)
    return response


# Russian words for the usual pydantic complaints; anything else keeps pydantic's own message.
VALIDATION_MESSAGES = {
    "missing": "Обязательное поле.",
    "string_type": "Ожидается строка.",
    "int_type": "Ожидается целое число.",
    "int_parsing": "Ожидается целое число.",
    "int_from_float": "Ожидается целое число.",
    "float_type": "Ожидается число.",
    "float_parsing": "Ожидается число.",
    "bool_type": "Ожидается true или false.",
    "bool_parsing": "Ожидается true или false.",
    "literal_error": "Недопустимое значение.",
    "string_too_long": "Слишком длинное значение.",
    "string_too_short": "Обязательное поле: значение не может быть пустым.",
    "string_unicode": BROKEN_TEXT,
    "greater_than_equal": "Значение слишком мало.",
    "less_than_equal": "Значение слишком велико.",
    "greater_than": "Значение слишком мало.",
    "less_than": "Значение слишком велико.",
    "json_invalid": "Тело запроса — некорректный JSON.",
    "model_attributes_type": "Ожидается объект JSON.",
    "dict_type": "Ожидается объект JSON.",
    "list_type": "Ожидается список.",
}
# Ninja's top-level names for the request parts and for our schema parameters.
_LOC_PREFIXES = {"body", "query", "path", "form", "file", "header", "cookie"}
_PARAM_NAMES = {"payload", "filters"}


def _field_name(loc: list) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOC_PREFIXES:
        parts = parts[1:]
    if parts and parts[0] in _PARAM_NAMES:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: dict) -> str:
    text = VALIDATION_MESSAGES.get(error.get("type", ""), error.get("msg", "Недопустимое значение."))
    ctx = error.get("ctx") or {}
    if error.get("type") == "value_error" and ctx.get("error"):
        return str(ctx["error"])  # our own validators' Russian message, without pydantic's prefix
    if error.get("type") == "literal_error" and "expected" in ctx:
        text = f"Недопустимое значение: ожидается {ctx['expected']}."
    elif error.get("type") == "string_too_long" and "max_length" in ctx:
        text = f"Слишком длинное значение: не более {ctx['max_length']} знаков."
    elif error.get("type") in ("greater_than_equal", "less_than_equal") and ctx:
        bound = ctx.get("ge", ctx.get("le"))
        if isinstance(bound, float) and bound.is_integer():
            bound = int(bound)
        text = f"{text[:-1]}: {'не меньше' if 'ge' in ctx else 'не больше'} {bound}."
    return text


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    detail = []
    for error in exc.errors:
        fields.setdefault(_field_name(error.get("loc", [])), []).append(_message(error))
        # Ninja's own detail, minus the echoed input: it can be a whole text with contacts.
        item = {k: v for k, v in error.items() if k in ("type", "loc", "msg")}
        if error.get("ctx"):  # a validator's exception object becomes its message
            item["ctx"] = {k: v if isinstance(v, (str, int, float, bool)) else str(v) for k, v in error["ctx"].items()}
        detail.append(item)
    body = {"code": "validation_failed", "message": "Запрос не принят: исправьте отмеченные поля.", "fields": fields, "detail": detail}
    return api.create_response(request, body, status=422)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message if exc.message != "Unauthorized" else "Нужна авторизация: API-ключ (Authorization: Bearer …) или вход в систему."
    response = api.create_response(request, {"code": "unauthorized", "message": message}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="tsur"'
    return response


HTTP_ERROR_MESSAGES = {
    "Cannot parse request body": "Тело запроса не разобрано: ожидается корректный JSON.",
    "Forbidden": "Доступ запрещён.",
    "Too many requests.": "Слишком много запросов, повторите позже.",
}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, UnsupportedMediaType):  # Ninja wraps every parser error in a 400
        message = f"Тело запроса должно быть JSON с заголовком Content-Type: application/json (получено: {exc.__cause__.args[0] or 'без типа'})."
        return api.create_response(request, {"code": "unsupported_media_type", "message": message}, status=415)
    code = {400: "bad_request", 403: "access_denied", 404: "not_found", 405: "method_not_allowed", 429: "throttled"}
    message = HTTP_ERROR_MESSAGES.get(str(exc), str(exc))
    return api.create_response(request, {"code": code.get(exc.status_code, "error"), "message": message}, status=exc.status_code)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"code": "not_found", "message": "Не найдено."}, status=404)
