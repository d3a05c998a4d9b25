"""The OpenAPI document is the contract: every operation lists exactly the error codes it can
return, and each of them is produced here by a request that earns it. Plus the body rules: JSON
only as application/json, bounded free text, a version of at least 1, and an idempotency key
that cannot be replayed with another body."""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client

from tests.api.conftest import APPEAL
from tests.factories import make_user
from tsur.accounts.models import ApiToken
from tsur.appeals.models import Appeal

UNKNOWN = "2099-999999"


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(schema: dict) -> list[tuple[str, str, set[int]]]:
    rows = []
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            rows.append((method, path, {int(code) for code in op["responses"]}))
    return rows


def test_every_operation_declares_a_short_exact_list(schema):
    for method, path, codes in operations(schema):
        errors = {c for c in codes if c >= 400}
        assert errors, (method, path)
        # 503: a poll's one-time code could not be sent (the mail server or the SMS gateway is down).
        assert errors <= {400, 401, 403, 404, 409, 413, 415, 422, 429, 503}, (method, path, errors)


def action_body(path: str, world, version: int, lead: str = UNKNOWN) -> dict:
    """A body the action's schema accepts, so the request gets past validation to the service."""
    action = path.rsplit("/", 1)[-1]
    extra = {
        "transfer": {"organisation": world.waste_operator.code, "reason": "не наша тема"},
        "return-to-moderation": {"reason": "не наша тема"},
        "assign": {"executor": world.executor.pk},
        "reject": {"reason": "spam"},
        "join": {"lead": lead},
        "reclassify": {"category": "garbage"},
        "urgency": {"urgency": "high", "reason": "дети"},
        "interim-answer": {"text": "Работаем"},
        "extension-request": {"days": 5, "reason": "подрядчик"},
        "extension-decision": {"request": 1, "grant": True},
        "answer": {"text": "Яма заделана 12.05.2025"},
        "answer-return": {"note": "Нет сроков"},
        "confirm": {"source": "камера"},
        "clarification": {"question": "Какой номер дома?"},
        "reply": {"text": "Дом 12"},  # the resident's reply to a clarification (public, by key)
    }.get(action, {})
    return {"version": version, **extra}


class Caller:
    """Requests that earn each error code on a given operation."""

    def __init__(self, api, world, settings):
        self.api, self.world, self.settings = api, world, settings
        self.appeal = Appeal.objects.get(number=api.post("/api/appeals", APPEAL).json()["number"])
        self.lead = api.post("/api/appeals", dict(APPEAL, text="Та же яма")).json()["number"]
        self.no_scope = ApiToken.issue(make_user("bare", None), "ничего", scopes=[])[1]
        self.operator = api.key("operator")

    def url(self, path: str, number: str | None = None) -> str:
        return path.replace("{number}", number or self.appeal.number)

    def send(self, method: str, url: str, *, key: str | None = None, body: bytes | None = None, ctype: str = "application/json", **extra):
        client = Client()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        if method == "get":
            return client.get(url, headers=headers, **extra)
        return client.post(url, body if body is not None else b"{}", content_type=ctype, headers=headers, **extra)

    def earn(self, method: str, path: str, code: int):
        if path.startswith("/api/monitoring/"):  # a source's key, not a user's
            from tests.monitoring.contract import earn

            return earn(method, path, code, self.settings)
        if path.startswith("/api/polls"):  # polls have their own fixtures
            from tests.polls.contract import earn as earn_poll

            return earn_poll(method, path, code, self.settings, self.world)
        url = self.url(path)
        if path.startswith("/api/public/"):
            url += f"?key={self.appeal.access_key}"
        staff = (
            path.startswith("/api/appeals")
            and path not in ("/api/appeals", "/api/appeals/multipart")
            or path in ("/api/organisations", "/api/templates")
            or (path == "/api/appeals" and method == "get")
        )
        key = self.operator if staff or path.startswith("/api/my") else None
        if path.startswith("/api/my"):
            key = self.api.key("resident")
        multipart = path.endswith("/multipart")
        if code == 401:
            return self.send(method, url, key="tsur_revoked_or_never_issued")
        if code == 403:
            if path.endswith("/rating"):  # a signed-in session without the CSRF token
                client = Client(enforce_csrf_checks=True)
                client.force_login(self.world.operator)
                return client.post(url, b'{"score": 5}', content_type="application/json")
            return self.send(method, url, key=self.no_scope)
        if code == 404:
            if path == "/api/templates":
                return self.send(method, url + "?appeal=" + UNKNOWN, key=key)
            body = {"score": 5} if path.endswith("/rating") else action_body(path, self.world, 1)
            return self.send(method, self.url(path, UNKNOWN), key=key, body=json.dumps(body).encode())
        if code == 409 and path.startswith("/api/appeals") and method == "post" and "{number}" not in path:
            replay = dict(APPEAL, external_id=f"contract-test-idempotency-key-{path}")  # a key of this operation's own
            first = Client().post("/api/appeals", json.dumps(replay), content_type="application/json")
            assert first.status_code == 201
            if multipart:
                return Client().post(url, dict(replay, text="Другой текст"))
            return self.send(method, url, body=json.dumps(dict(replay, text="Другой текст")).encode())
        if code == 409:  # a stale version (the rating: an appeal with no answer to rate yet)
            body = {"score": 5} if path.endswith("/rating") else action_body(path, self.world, 999, self.lead)
            return self.send(method, url, key=key, body=json.dumps(body).encode())
        if code == 400:
            if multipart:
                return self.send(method, url, body=b"--broken", ctype="multipart/form-data")
            return self.send(method, url, key=key, body=b"{not json")
        if code == 413:
            return self.send(method, url, key=key, body=b"{}", CONTENT_LENGTH=str(self.settings.TSUR_MAX_REQUEST_BYTES + 1))
        if code == 415:
            return self.send(method, url, key=key, body=b'{"text": "x"}', ctype="text/plain")
        if code == 422:
            if method == "get":
                query = "?page=0" if path == "/api/appeals" else "?geometry=maybe"
                return self.send(method, url + query, key=key)
            if multipart:
                return Client().post(url, {"category": "pothole"})
            return self.send(method, url, key=key, body=b"{}")
        if code == 429:
            self.settings.TSUR_RATE_INTAKE_ANONYMOUS = ["1/m"]
            first = Client().post(url, json.dumps(APPEAL), content_type="application/json") if not multipart else Client().post(url, APPEAL)
            assert first.status_code == 201  # the cache is emptied before each code: this one is the first of its window
            return Client().post(url, json.dumps(APPEAL), content_type="application/json") if not multipart else Client().post(url, APPEAL)
        raise AssertionError(f"no way to earn {code} on {method.upper()} {path}")


def test_every_declared_error_code_is_earned_by_a_real_request(schema, api, world, settings, still_rate_clock):
    from django.core.cache import cache

    caller = Caller(api, world, settings)
    for method, path, codes in operations(schema):
        for code in sorted(c for c in codes if c >= 400):
            cache.clear()
            settings.TSUR_RATE_INTAKE_ANONYMOUS = ["10/m", "60/h"]
            response = caller.earn(method, path, code)
            assert response.status_code == code, (method, path, code, response.status_code, response.content[:300])
            assert response["Content-Type"].startswith("application/json"), (method, path, code)
            assert response.json()["code"] and response.json()["message"], (method, path, code)


def test_it_refuses_json_sent_as_text_plain(client, world):
    response = client.post("/api/appeals", json.dumps(APPEAL), content_type="text/plain")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("text", "я" * 10_001), ("text", ""), ("address", "д" * 301), ("name", "и" * 201), ("external_id", "x" * 151)],
)
def test_it_bounds_the_intake_fields(client, world, field, value):
    response = client.post("/api/appeals", json.dumps(dict(APPEAL, **{field: value})), content_type="application/json")
    assert response.status_code == 422 and field in response.json()["fields"]


def test_the_schema_states_the_bounds(schema):
    props = schema["components"]["schemas"]
    assert props["AppealIn"]["properties"]["text"]["maxLength"] == 10_000
    assert props["Versioned"]["properties"]["version"]["minimum"] == 1
    assert props["ReasonIn"]["properties"]["reason"]["maxLength"] == 1000
    assert props["TextIn"]["properties"]["text"]["maxLength"] == 20_000


def test_it_refuses_a_version_below_one_and_an_overlong_reason(api, world):
    number = api.post("/api/appeals", APPEAL).json()["number"]
    response = api.post(f"/api/appeals/{number}/route", {"version": 0}, "operator")
    assert response.status_code == 422 and "version" in response.json()["fields"]
    response = api.post(f"/api/appeals/{number}/route", {"version": 2, "reason": "я" * 501}, "operator")
    assert response.status_code == 422 and "reason" in response.json()["fields"]


def test_a_replayed_idempotency_key_with_another_body_is_a_conflict(client, world):
    key = str(uuid.uuid4())
    first = client.post("/api/appeals", json.dumps(dict(APPEAL, external_id=key)), content_type="application/json")
    same = client.post("/api/appeals", json.dumps(dict(APPEAL, external_id=key)), content_type="application/json")
    assert (first.status_code, same.status_code) == (201, 200) and first.json()["number"] == same.json()["number"]
    other = client.post("/api/appeals", json.dumps(dict(APPEAL, external_id=key, text="Совсем другое")), content_type="application/json")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"
    invalid = client.post("/api/appeals", json.dumps(dict(APPEAL, external_id=key, category="no-such")), content_type="application/json")
    assert invalid.status_code == 422 and "category" in invalid.json()["fields"]
    assert Appeal.objects.count() == 1
