"""An API key does only what it was issued for, within its user's role: an Open311 client's key
(even a regional operator's) cannot read residents' contacts or reject an appeal."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import APPEAL
from tsur.accounts.models import ApiToken, Scope
from tsur.appeals.models import Appeal, Status


def call(client, method: str, url: str, key: str, body: dict | None = None):
    headers = {"Authorization": f"Bearer {key}"}
    if method == "get":
        return client.get(url, headers=headers)
    return client.post(url, json.dumps(body or {}), content_type="application/json", headers=headers)


@pytest.fixture
def appeal(api) -> Appeal:
    number = api.post("/api/appeals", APPEAL).json()["number"]
    return Appeal.objects.get(number=number)


def test_a_new_key_may_only_submit_appeals(world):
    token, _raw = ApiToken.issue(world.operator, "интеграция")
    assert sorted(token.scopes) == ["intake", "open311"]


def test_an_open311_key_of_an_operator_cannot_read_or_act(client, world, appeal):
    _t, key = ApiToken.issue(world.operator, "Open311", scopes=[Scope.OPEN311, Scope.INTAKE])
    card = call(client, "get", f"/api/appeals/{appeal.number}", key)
    assert card.status_code == 403 and card.json()["code"] == "scope_missing"
    assert "Ivan" not in card.content.decode() and "ivan@example.org" not in card.content.decode()
    assert call(client, "get", "/api/appeals", key).status_code == 403
    reject = call(client, "post", f"/api/appeals/{appeal.number}/reject", key, {"version": appeal.version, "reason": "spam"})
    assert reject.status_code == 403 and reject.json()["code"] == "scope_missing"
    assert Appeal.objects.get(pk=appeal.pk).status == Status.MODERATION
    assert call(client, "post", "/api/appeals", key, APPEAL).status_code == 201  # what it is for


def test_a_read_key_cannot_act(client, world, appeal):
    _t, key = ApiToken.issue(world.operator, "дашборд", scopes=[Scope.STAFF_READ])
    assert call(client, "get", f"/api/appeals/{appeal.number}", key).status_code == 200
    response = call(client, "post", f"/api/appeals/{appeal.number}/route", key, {"version": appeal.version})
    assert response.status_code == 403 and Appeal.objects.get(pk=appeal.pk).status == Status.MODERATION
    assert call(client, "post", "/api/appeals", key, APPEAL).status_code == 403


def test_a_write_key_acts_within_the_role(client, world, appeal):
    _t, key = ApiToken.issue(world.operator, "интеграция ЦУР", scopes=[Scope.STAFF_READ, Scope.STAFF_WRITE])
    response = call(client, "post", f"/api/appeals/{appeal.number}/route", key, {"version": appeal.version})
    assert response.status_code == 200 and Appeal.objects.get(pk=appeal.pk).status == Status.ROUTED


def test_a_resident_key_needs_the_resident_scope(client, world):
    _t, key = ApiToken.issue(world.resident, "приложение", scopes=[Scope.INTAKE])
    assert call(client, "get", "/api/my/appeals", key).status_code == 403
    _t, key = ApiToken.issue(world.resident, "приложение", scopes=[Scope.INTAKE, Scope.RESIDENT])
    assert call(client, "get", "/api/my/appeals", key).status_code == 200


def test_open311_needs_the_open311_scope(client, world):
    from urllib.parse import urlencode

    from tests.open311.conftest import REPORT

    _t, key = ApiToken.issue(world.operator, "только API", scopes=[Scope.INTAKE])
    response = client.post("/open311/v2/requests.json", urlencode(dict(REPORT, api_key=key)), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403 and "не разрешает подачу заявок Open311" in response.json()[0]["description"]
    assert Appeal.objects.count() == 0


def test_public_endpoints_take_any_valid_key(client, world):
    _t, key = ApiToken.issue(world.operator, "Open311", scopes=[Scope.OPEN311])
    assert call(client, "get", "/api/categories", key).status_code == 200
    assert call(client, "get", "/api/categories", "tsur_not_a_key").status_code == 401


def test_the_demo_key_can_do_no_more_than_submit(db, client):
    from tsur.demo.loader import DEMO_API_KEY, DEMO_API_KEY_NAME, create_users

    users = create_users()
    # A demo database made before scopes: the key was the regional operator's and could do anything.
    ApiToken.objects.filter(name=DEMO_API_KEY_NAME).update(user=users.by_role["operator"], scopes=list(Scope.values))
    create_users()
    token = ApiToken.find(DEMO_API_KEY)
    assert sorted(token.scopes) == ["intake", "open311"]
    assert token.user.username == "open311-client" and not hasattr(token.user, "membership")
    assert not token.user.has_usable_password()
    assert call(client, "get", "/api/appeals", DEMO_API_KEY).status_code == 403
