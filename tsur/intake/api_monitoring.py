"""The event API of objective monitoring (/api/monitoring/…): external systems send their events
in bulk with their own source key; each reads back its own events.

The body is split into items by hand (`tsur.monitoring.body.split_items`) so that each item's text is kept exactly as
the source sent it (the raw payload beside the normalised event); everything else is
`tsur.monitoring.intake.ingest`. Fair share: each source has its own budget of events per minute
(`Source.rate_per_minute`, counted in the cache) and its own largest batch, so a flood from one
source is refused with 429 for that source alone.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from ninja import Field, Router, Schema
from ninja.security import HttpBearer

from tsur.core import clock
from tsur.core.errors import DomainError, NotFound
from tsur.core.throttle import Throttled
from tsur.intake.api_schemas import replies
from tsur.monitoring import keys
from tsur.monitoring.body import BodyError, split_items
from tsur.monitoring.intake import ingest
from tsur.monitoring.mapping import MappingError
from tsur.monitoring.models import EventState, MonitoringEvent, Source

log = logging.getLogger(__name__)
router = Router(tags=["Объективный мониторинг"])
RATE_WINDOW_SECONDS = 60

# --- answers ------------------------------------------------------------------------------------


def _error(status: int, code: str, message: str, **extra: Any) -> JsonResponse:
    response = JsonResponse({"code": code, "message": message, **extra}, status=status, json_dumps_params={"ensure_ascii": False})
    return response


class BadSourceKey(DomainError):
    code = "bad_source_key"
    http_status = 401


class SourceInactive(DomainError):
    code = "source_inactive"
    http_status = 403


class SourceKey(HttpBearer):
    """`Authorization: Bearer <source key>`: the caller is a monitoring source, not a user. No key,
    an unknown one or a replaced one: 401 `bad_source_key`; a switched-off source: 403."""

    def __call__(self, request: HttpRequest) -> Source:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        return self.authenticate(request, raw if scheme.lower() == "bearer" else "")

    def authenticate(self, request: HttpRequest, token: str) -> Source:
        source = keys.source_for_key(token)
        if source is None:
            raise BadSourceKey("Ключ источника не указан или неверен: заголовок Authorization: Bearer <ключ источника>.")
        if not source.is_active:
            raise SourceInactive(f"Источник «{source.name}» отключён: события от него не принимаются.")
        return source


SOURCE_KEY = SourceKey()


def _spend(source: Source, count: int) -> int | None:
    """Take `count` events from the source's budget of this minute; the seconds to wait when it
    would be exceeded (nothing is taken then), else None. A cache failure lets intake go on."""
    now = clock.now().timestamp()
    window = int(now // RATE_WINDOW_SECONDS)
    key = f"tsur-monitoring-rate:{source.pk}:{window}"
    try:
        cache.add(key, 0, timeout=RATE_WINDOW_SECONDS * 2)
        used = cache.incr(key, count)
        if used > source.rate_per_minute:
            cache.decr(key, count)
            return max(1, int((window + 1) * RATE_WINDOW_SECONDS - now) + 1)
    except Exception:  # the cache server is down: intake must go on, and say so
        log.warning("monitoring rate limit cache unavailable: source %s not counted", source.pk, exc_info=True)
    return None


class RejectedOut(Schema):
    index: int = Field(description="Номер события в пакете, с 0")
    external_id: str = Field(description="Идентификатор события в источнике, если его удалось прочитать")
    code: str = Field(description="Причина: malformed, missing_field, bad_time, future, unknown_kind, unknown_state, "
                      "unknown_metric, out_of_range, unit_mismatch, bad_value, bad_coordinates, unknown_territory, "
                      "bad_image, image_too_large, too_long, version_conflict")  # fmt: skip
    message: str = Field(description="Причина по-русски")
    field: str = Field(description="Путь к полю события, к которому относится ошибка (пусто — событие целиком)")


class IngestOut(Schema):
    accepted: int = Field(description="Принято новых событий (и показаний датчиков)")
    updated: int = Field(description="Новых версий, изменивших событие (дело закрыто, показания в норме)")
    late: int = Field(description="Запоздавших версий: сохранены, но не меняют более новое состояние")
    duplicates: int = Field(description="Повторов уже полученного: ничего не изменили")
    rejected: list[RejectedOut] = Field(description="Отклонённые события с причинами")


class VersionOut(Schema):
    version: int
    state: str = Field(description="active — действует, resolved — устранено")
    version_at: dt.datetime = Field(description="Время версии по часам источника")
    received_at: dt.datetime
    applied: bool = Field(description="false — запоздавшая версия, не изменившая событие")
    payload: str = Field(description="Данные источника ровно в том виде, в каком были получены")


class EventOut(Schema):
    external_id: str
    kind: str = Field(description="Код вида события")
    kind_name: str
    state: str = Field(description="active — действует, resolved — устранено")
    state_name: str
    version: int = Field(description="Номер применённой версии")
    occurred_at: dt.datetime
    version_at: dt.datetime
    resolved_at: dt.datetime | None
    received_at: dt.datetime
    title: str
    address: str
    territory: str | None = Field(description="Код территории")
    lat: float | None
    lon: float | None
    cell: str = Field(description="Ячейка H3 (разрешение 9)")
    details: dict[str, Any]
    versions: list[VersionOut]


BODY_SCHEMA = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"type": "array", "items": {"type": "object"}, "description": "Список событий в формате источника"},
                    {
                        "type": "object",
                        "properties": {"events": {"type": "array", "items": {"type": "object"}}},
                        "required": ["events"],
                    },
                ]
            },
            "example": [{"card_id": "112-40-2026-118733", "incident_type": "ТЕПЛОСНАБЖЕНИЕ", "reg_time": "2026-12-05T07:42:10+03:00"}],
        }
    },
}


@router.post(
    "/monitoring/events",
    auth=SOURCE_KEY,
    response=replies({200: IngestOut}, 400, 401, 403, 409, 413, 415, 422, 429),
    openapi_extra={"requestBody": BODY_SCHEMA},
    summary="Передать события источника (пакетом)",
    description="События в формате самого источника: поля переводятся в событие по схеме данных источника, настроенной "
    "администратором. Ключ источника — в заголовке `Authorization: Bearer <ключ>`. До `max_batch` событий в запросе "
    "(413 — больше), до `rate_per_minute` событий в минуту на источник (429 с `Retry-After` — больше; другие источники "
    "это не затрагивает). Повтор уже полученного события ничего не меняет (идемпотентность по идентификатору события в "
    "источнике); более новая версия (по времени изменения или номеру версии) обновляет событие; запоздавшая — "
    "сохраняется, но не перезаписывает более новое состояние. События из будущего отклоняются. Каждое событие "
    "принимается целиком или отклоняется с причиной; данные источника хранятся без изменений. 200 — принято хотя бы "
    "что-то (или всё — повторы); 422 — отклонено всё; 409 — схема данных источника настроена с ошибкой.",
)
def submit(request: HttpRequest):
    source: Source = request.auth
    content_type = request.content_type or ""
    if content_type != "application/json" and not content_type.endswith("+json"):
        return _error(
            415,
            "unsupported_media_type",
            f"Тело запроса должно быть JSON с заголовком Content-Type: application/json (получено: {content_type or 'без типа'}).",
        )
    try:
        items = split_items(request.body.decode("utf-8"))
    except UnicodeDecodeError:
        return _error(400, "bad_request", "Тело запроса не в кодировке UTF-8.")
    except BodyError as exc:
        return _error(400, "bad_request", str(exc))
    if len(items) > source.max_batch:
        return _error(413, "batch_too_large", f"В запросе {len(items)} событий: не более {source.max_batch} за раз, разделите пакет.")
    if not items:
        return _error(422, "empty_batch", "Пакет пуст: передайте хотя бы одно событие.")
    wait = _spend(source, len(items))
    if wait is not None:
        raise Throttled(f"Источник превысил свою долю: не более {source.rate_per_minute} событий в минуту. Повторите через {wait} с.", wait)
    try:
        result = ingest(source, items)
    except MappingError as exc:
        log.error("monitoring source %s has a broken mapping: %s", source.code, exc)
        return _error(409, "source_misconfigured", "Схема данных источника настроена с ошибкой: обратитесь к администратору платформы.")
    body = result.as_dict()
    if result.rejected and len(result.rejected) == len(items):
        return _error(422, "all_rejected", "Ни одно событие не принято: причины — в списке rejected.", **body)
    return JsonResponse(body, status=200, json_dumps_params={"ensure_ascii": False})


@router.get(
    "/monitoring/events/{path:external_id}",
    auth=SOURCE_KEY,
    response=replies({200: EventOut}, 401, 403, 404),
    summary="Событие источника и его версии",
    description="Только события своего источника (по ключу источника): состояние, применённая версия и все полученные версии с исходными данными.",
)
def event(request: HttpRequest, external_id: str):
    item = MonitoringEvent.objects.filter(source=request.auth, external_id=external_id).select_related("kind", "territory").first()
    if item is None:
        raise NotFound("Событие с таким идентификатором от этого источника не получено.")
    versions = [
        {
            "version": v.version,
            "state": v.state,
            "version_at": v.version_at,
            "received_at": v.received_at,
            "applied": bool(v.normalised.get("applied", True)),
            "payload": v.payload,
        }  # fmt: skip
        for v in item.versions.order_by("version")
    ]
    return {
        "external_id": item.external_id,
        "kind": item.kind.code,
        "kind_name": item.kind.name,
        "state": item.state,
        "state_name": EventState(item.state).label,
        "version": item.version,
        "occurred_at": item.occurred_at,
        "version_at": item.version_at,
        "resolved_at": item.resolved_at,
        "received_at": item.received_at,
        "title": item.title,
        "address": item.address,
        "territory": item.territory.code if item.territory_id else None,
        "lat": item.lat,
        "lon": item.lon,
        "cell": item.cell,
        "details": item.details,
        "versions": versions,
    }
