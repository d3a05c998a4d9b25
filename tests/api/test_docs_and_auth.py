"""The OpenAPI schema and the docs page (served without any CDN), and the session's CSRF rule."""

from __future__ import annotations

import json
import re

from django.test import Client

from tests.api.conftest import APPEAL
from tsur.appeals.models import Appeal


def test_it_serves_the_openapi_schema(client, db):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.") and schema["info"]["title"] == "ЦУР API"
    assert {"/api/appeals", "/api/appeals/{number}", "/api/appeals/{number}/route", "/api/public/appeals/{number}"} <= set(
        schema["paths"]
    )
    assert {"BearerToken", "Session"} <= set(schema["components"]["securitySchemes"])
    assert "/api/docs/assets/{name}" not in schema["paths"]


def test_it_serves_the_docs_page_without_any_outside_host(client, db):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"https?://|//cdn|unpkg|jsdelivr", html)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/api/docs/assets/") for a in assets)
    for url in assets:
        assert client.get(url).status_code == 200, url
    assert client.get("/api/docs/assets/..%2Fsettings.py").status_code == 404
    assert client.get("/api/docs/assets/swagger-ui.css.map").status_code == 404


def test_it_takes_the_session_but_enforces_csrf_on_unsafe_methods(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.operator)
    assert browser.get("/api/appeals").status_code == 200  # safe method: no token needed
    refused = browser.post("/api/appeals", json.dumps(APPEAL), content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
    assert Appeal.objects.count() == 0
    browser.get("/api/docs")  # any page that issues the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/appeals", json.dumps(APPEAL), content_type="application/json", headers={"X-CSRFToken": token})
    assert accepted.status_code == 201, accepted.content


def test_it_needs_no_csrf_for_anonymous_intake_or_a_token(world):
    anonymous = Client(enforce_csrf_checks=True)
    assert anonymous.post("/api/appeals", json.dumps(APPEAL), content_type="application/json").status_code == 201
    from tsur.accounts.models import ApiToken

    _t, raw = ApiToken.issue(world.resident, "app")
    with_token = anonymous.post(
        "/api/appeals", json.dumps(APPEAL), content_type="application/json", headers={"Authorization": f"Bearer {raw}"}
    )
    assert with_token.status_code == 201


def test_it_refuses_a_deactivated_token(api, world):
    from tsur.accounts.models import ApiToken

    key = api.key("operator")
    assert api.get("/api/appeals", "operator").status_code == 200
    ApiToken.objects.filter(user=world.operator).update(is_active=False)
    response = api.client.get("/api/appeals", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401 and "отозван" in response.json()["message"]
