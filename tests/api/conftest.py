"""An API client that speaks as one of the named users of the test world, with a real token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tsur.accounts.models import ApiToken, Scope


class ApiClient:
    def __init__(self, world):
        self.world = world
        self.client = Client()
        self._keys: dict[str, str] = {}

    def key(self, username: str) -> str:
        if username not in self._keys:
            # Every scope: these tests are about roles; tests/api/test_scopes.py is about scopes.
            _token, raw = ApiToken.issue(getattr(self.world, username), f"тест: {username}", scopes=list(Scope.values))
            self._keys[username] = raw
        return self._keys[username]

    def _headers(self, as_user: str | None) -> dict:
        return {"Authorization": f"Bearer {self.key(as_user)}"} if as_user else {}

    def get(self, url: str, as_user: str | None = None, **params):
        return self.client.get(url, params or None, headers=self._headers(as_user))

    def post(self, url: str, body: dict | None = None, as_user: str | None = None):
        return self.client.post(
            url, json.dumps(body if body is not None else {}), content_type="application/json", headers=self._headers(as_user)
        )

    def post_multipart(self, url: str, data: dict, as_user: str | None = None):
        return self.client.post(url, data, headers=self._headers(as_user))

    def card(self, number: str, as_user: str = "operator") -> dict:
        response = self.get(f"/api/appeals/{number}", as_user)
        assert response.status_code == 200, response.content
        return response.json()

    def act(self, number: str, action: str, as_user: str, body: dict | None = None, *, version: int | None = None):
        """POST an action with the version the user currently sees (unless given)."""
        body = dict(body or {})
        body["version"] = version if version is not None else self.card(number, as_user)["version"]
        return self.post(f"/api/appeals/{number}/{action}", body, as_user)


@pytest.fixture
def api(world) -> ApiClient:
    return ApiClient(world)


APPEAL = {
    "text": "Большая яма на дороге у остановки, машины бьют колёса",
    "category": "pothole",
    "territory": "district",
    "address": "с. Село, ул. Центральная, 1",
    "name": "Иван Петров",
    "phone": "+7 900 000-00-00",
    "email": "ivan@example.org",
}


@pytest.fixture
def submitted(api) -> dict:
    """An appeal sent by the app without a key (as a resident would), now in moderation."""
    response = api.post("/api/appeals", APPEAL)
    assert response.status_code == 201, response.content
    return response.json()
