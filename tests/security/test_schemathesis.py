"""Schemathesis against the API's own OpenAPI schema, in-process (WSGI): every operation, as an
anonymous caller, with a resident's app key and with an operator's key of every scope, valid and
invalid inputs, a bounded and derandomised number of examples. No input may cause a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from tests.security.scene import build_scene
from tsur.accounts.models import ApiToken, Scope

EXAMPLES = 5  # per operation, caller and mode: ~40 operations × 3 callers × 2 modes


@pytest.fixture
def wsgi_app():
    """The real WSGI handler, on the test's database connection: like Django's test client, keep
    request signals from closing the connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield WSGIHandler()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _check(operation, mode: GenerationMode, who: str, headers: dict, form_key: str, found: list[str]):
    @hsettings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate],
    )  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if form_key and headers and isinstance(case.body, dict):
            case.body["api_key"] = form_key  # Open311 reads its key from the form
        response = case.call(headers=headers)
        if response.status_code >= 500:
            found.append(
                f"{operation.label} as {who} ({mode.value}): {response.status_code} "
                f"path={case.path_parameters} query={case.query} body={case.body!r}"[:600]
            )

    try:
        run()
    except Unsatisfiable:
        # An operation without parameters or body has no invalid input to send.
        assert mode == GenerationMode.NEGATIVE, operation.label


def _server_errors(schema, callers: dict[str, dict], form_key: str = "") -> list[str]:
    found: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for who, headers in callers.items():
                _check(operation, mode, who, headers, form_key, found)
    return found


def test_the_api_gives_no_server_error(db, settings, wsgi_app):
    settings.AXES_ENABLED = False
    scene = build_scene()
    staff = ApiToken.issue(scene.w.operator, "schemathesis", scopes=list(Scope.values))[1]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", wsgi_app)
    callers = {
        "anonymous": {},
        "resident app key": {"Authorization": f"Bearer {scene.keys['key_app']}"},
        "operator key": {"Authorization": f"Bearer {staff}"},
    }
    found = _server_errors(schema, callers)
    assert not found, "Server errors:\n" + "\n".join(dict.fromkeys(found))


def test_open311_gives_no_server_error(db, settings, wsgi_app):
    settings.AXES_ENABLED = False
    scene = build_scene()
    key = ApiToken.issue(scene.w.operator, "schemathesis open311", scopes=[Scope.OPEN311])[1]
    schema = schemathesis.openapi.from_wsgi("/open311/v2/openapi.json", wsgi_app)
    assert {op.ok().label for op in schema.get_all_operations()} >= {"POST /requests.json", "GET /requests/{service_request_id}.json"}
    found = _server_errors(schema, {"anonymous": {}, "integration key": {"X-Caller": "open311"}}, form_key=key)
    assert not found, "Server errors:\n" + "\n".join(dict.fromkeys(found))


def test_each_operation_documents_its_own_body(db):
    """Two request models of one name (api_schemas.AnswerIn and api_polls.AnswerIn) share one
    component in the schema, so one operation documents the other's body and clients, and the
    generated tests above, send the wrong fields."""
    from tsur.intake.api import api

    schema = api.get_openapi_schema()
    ref = schema["paths"]["/api/appeals/{number}/answer"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"version", "text"} <= set(body["properties"]), body
