"""An OpenAPI 3 description of the Open311 GeoReport v2 endpoints as this platform serves them
(JSON format; XML is the same resources with the .xml extension), served at
/open311/v2/openapi.json so clients and contract tests (Schemathesis, tests/security) read one
source. The descriptions are Russian: integrators here read them."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

_ERRORS = {
    "description": "Ошибки в формате Open311: список {code, description}",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Errors"}}},
}
_STRING = {"type": "string"}


def _param(name: str, where: str, description: str, schema: dict | None = None, required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description, "schema": schema or _STRING}


def _responses(ok: str, ok_schema: str, *codes: int) -> dict:
    out = {"200": {"description": ok, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ok_schema}"}}}}}
    out.update({str(c): _ERRORS for c in codes})
    return out


SCHEMA: dict = {
    "openapi": "3.0.3",
    "info": {
        "title": "ЦУР: Open311 GeoReport v2",
        "version": "2",
        "description": "Справочник услуг (категорий), публичные заявки и подача заявки с api_key (разрешение «open311»).",
    },
    "servers": [{"url": "/open311/v2"}],
    "paths": {
        "/services.json": {
            "get": {"operationId": "services", "summary": "Список услуг", "responses": _responses("Услуги", "Services")},
        },
        "/services/{service_code}.json": {
            "get": {
                "operationId": "service_definition",
                "summary": "Описание услуги",
                "parameters": [_param("service_code", "path", "Код услуги", required=True)],
                "responses": _responses("Описание услуги", "ServiceDefinition", 404),
            }
        },
        "/requests.json": {
            "get": {
                "operationId": "requests",
                "summary": "Публичные заявки (не более 90 дней, по умолчанию последние)",
                "parameters": [
                    _param("service_request_id", "query", "Номера заявок через запятую (отменяют остальные условия)"),
                    _param("service_code", "query", "Коды услуг через запятую"),
                    _param("status", "query", "open, closed или оба через запятую"),
                    _param("start_date", "query", "Начало периода, W3C (2025-05-12T10:00:00+03:00)"),
                    _param("end_date", "query", "Конец периода, W3C"),
                ],
                "responses": _responses("Заявки", "ServiceRequests", 400),
            },
            "post": {
                "operationId": "create_request",
                "summary": "Подать заявку",
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": {"$ref": "#/components/schemas/NewRequest"}}},
                },
                "responses": _responses("Заявка принята", "Created", 400, 403, 404, 413, 429),
            },
        },
        "/requests/{service_request_id}.json": {
            "get": {
                "operationId": "request_detail",
                "summary": "Заявка по номеру",
                "parameters": [_param("service_request_id", "path", "Номер заявки", required=True)],
                "responses": _responses("Заявка", "ServiceRequests", 404),
            }
        },
    },
    "components": {
        "schemas": {
            "Errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": {"code": {"type": "integer"}, "description": _STRING},
                },
            },
            "Services": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["service_code", "service_name"],
                    "properties": {
                        "service_code": _STRING, "service_name": _STRING, "description": _STRING, "metadata": {"type": "boolean"},
                        "type": _STRING, "keywords": _STRING, "group": _STRING,
                    },  # fmt: skip
                },
            },
            "ServiceDefinition": {
                "type": "object",
                "required": ["service_code", "attributes"],
                "properties": {"service_code": _STRING, "attributes": {"type": "array", "items": {"type": "object"}}},
            },
            "ServiceRequests": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["service_request_id", "status"],
                    "properties": {
                        "service_request_id": _STRING, "status": {"type": "string", "enum": ["open", "closed"]},
                        "status_notes": _STRING, "service_name": _STRING, "service_code": _STRING, "description": _STRING,
                        "agency_responsible": _STRING, "service_notice": _STRING,
                        "requested_datetime": {"type": "string", "nullable": True},
                        "updated_datetime": {"type": "string", "nullable": True},
                        "expected_datetime": {"type": "string", "nullable": True},
                        "address": _STRING, "address_id": _STRING, "zipcode": _STRING,
                        "lat": {"type": "number", "nullable": True}, "long": {"type": "number", "nullable": True},
                        "media_url": _STRING,
                    },  # fmt: skip
                },
            },
            "NewRequest": {
                "type": "object",
                "required": ["api_key", "service_code"],
                "properties": {
                    "api_key": {"type": "string", "description": "API-ключ с разрешением «open311»"},
                    "service_code": _STRING,
                    "lat": {"type": "number"}, "long": {"type": "number"},
                    "address_string": {"type": "string", "maxLength": 300},
                    "description": _STRING,
                    "media_url": {"type": "string", "description": "Ссылка http(s) на фото"},
                    "first_name": {"type": "string", "maxLength": 100}, "last_name": {"type": "string", "maxLength": 100},
                    "phone": {"type": "string", "maxLength": 32}, "email": {"type": "string", "maxLength": 254},
                },  # fmt: skip
            },
            "Created": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["service_request_id"],
                    "properties": {"service_request_id": _STRING, "service_notice": _STRING, "account_id": {"nullable": True}},
                },
            },
        }
    },
}


@require_GET
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(SCHEMA, json_dumps_params={"ensure_ascii": False})
