"""Logs without personal data: the lines a real request writes (through the root handler as
configured by settings.LOGGING) carry its route, status and request id, and none of the phone,
e-mail or name the resident sent in the body or the URL."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.test import Client

from tests.api.conftest import APPEAL
from tsur.core.logging import JsonFormatter, PersonalDataFilter

PHONE, EMAIL, NAME = "+7 916 123-45-67", "ivan.sidorov@example.org", "Сидоров Иван Петрович"


@pytest.fixture
def lines():
    """The root logger's own console handler (with its filters), writing JSON into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if any(isinstance(f, PersonalDataFilter) for f in h.filters))
    buffer = io.StringIO()
    old_stream, old_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(JsonFormatter())
    yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


def _assert_no_pd(text: str) -> None:
    for value in (PHONE, "9161234567", "916 123-45-67", EMAIL, "Сидоров", "ivan.sidorov"):
        assert value not in text, value


def test_it_logs_a_real_request_with_its_route_and_without_the_residents_data(world, lines):
    body = dict(APPEAL, name=NAME, phone=PHONE, email=EMAIL, text=f"Яма у дома. Звоните {PHONE}, пишите {EMAIL}. {NAME}")
    response = Client().post(
        f"/api/appeals?phone={PHONE}&email={EMAIL}", json.dumps(body), content_type="application/json", HTTP_X_REQUEST_ID="proxy-given-0001"
    )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "proxy-given-0001"
    number = response.json()["number"]
    key = response.json()["access_key"]
    # A status link carries the access key in its path: the log names the route, not the key.
    assert Client().get(f"/status/{number}/{key}/?email={EMAIL}").status_code == 200
    assert Client().get(f"/status/{number}/not-the-key-{EMAIL}/").status_code == 404
    records = lines()
    requests = [r for r in records if r["logger"] == "tsur.request"]
    assert [(r["method"], r["route"], r["status"]) for r in requests] == [
        ("POST", "/api/appeals", 201),
        ("GET", "/status/<str:number>/<str:key>/", 200),
        ("GET", "/status/<str:number>/<str:key>/", 404),
    ]
    assert requests[0]["request_id"] == "proxy-given-0001"
    assert all(r["request_id"] and r["duration_ms"] >= 0 and r["time"] and r["level"] for r in requests)
    assert len({r["request_id"] for r in requests}) == 3
    everything = json.dumps(records, ensure_ascii=False)
    _assert_no_pd(everything)
    assert key not in everything
    # Django's own line about the 404 names the route too, not the path that was typed.
    assert any(r["logger"] == "django.request" and "/status/<str:number>/<str:key>/" in r["message"] for r in records)


def test_it_masks_messages_arguments_and_tracebacks(lines):
    log = logging.getLogger("tsur.tests.ops")
    log.warning("resident %s wrote from %s", NAME, PHONE)
    try:
        raise ValueError(f"cannot send to {EMAIL}")
    except ValueError:
        log.exception("delivery failed for %s", EMAIL)
    records = lines()
    assert [r["level"] for r in records] == ["WARNING", "ERROR"]
    assert "[телефон]" in records[0]["message"] and "[ФИО]" in records[0]["message"]
    assert "ValueError: cannot send to [email]" in records[1]["exc_info"]
    assert set(records[0]) == {"time", "level", "logger", "message", "request_id"}
    _assert_no_pd(json.dumps(records, ensure_ascii=False))


def test_it_writes_plain_lines_with_the_request_id_by_default(settings):
    assert settings.LOGGING["handlers"]["console"]["formatter"] == "plain"
    assert "%(request_id)s" in settings.LOGGING["formatters"]["plain"]["format"]
    assert settings.MIDDLEWARE[0] == "tsur.core.observability.RequestObservabilityMiddleware"
