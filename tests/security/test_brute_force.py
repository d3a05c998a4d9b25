"""Password and key guessing. The login lockout itself (limit, cool-off, both login pages, the
Russian page) is tests/accounts/test_login_throttle.py; here: a locked pair locks nobody else —
neither another official from the same address nor the same official elsewhere — and the API
refuses wrong keys without ever letting a guess through or locking the right key out."""

from __future__ import annotations

import json

from django.test import Client

from tests.factories import build_world
from tsur.accounts.models import ApiToken, Scope

ATTACKER, OFFICE = "203.0.113.66", "198.51.100.10"


def _login(client: Client, url: str, username: str, password: str, ip: str):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_a_locked_official_locks_nobody_else(db, settings):
    build_world()
    attacker = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 3):
        _login(attacker, "/accounts/login/", "operator", "угадываю", ATTACKER)
    locked = _login(attacker, "/accounts/login/", "operator", "pass-12345", ATTACKER)
    assert locked.status_code == 429 and "Вход временно заблокирован" in locked.content.decode()
    assert "_auth_user_id" not in attacker.session
    # Another official from the attacker's address, and the victim from the office, still get in.
    other = Client()
    assert _login(other, "/accounts/login/", "coordinator", "pass-12345", ATTACKER).status_code == 302
    victim = Client()
    assert _login(victim, "/admin/login/", "admin", "pass-12345", OFFICE).status_code == 302
    assert _login(Client(), "/accounts/login/", "operator", "pass-12345", OFFICE).status_code == 302


def test_wrong_api_keys_are_refused_and_the_right_one_keeps_working(db, settings):
    w = build_world()
    token, raw = ApiToken.issue(w.operator, "интеграция", scopes=[Scope.STAFF_READ])
    assert len(raw) >= 40  # 256 random bits: guessing is hopeless, counting wrong keys is not needed to stop it
    client = Client()
    for i in range(60):
        guess = raw[:-4] + f"{i:04d}"
        response = client.get("/api/appeals", headers={"Authorization": f"Bearer {guess}"})
        assert response.status_code == 401 and response.json()["code"] in ("unauthorized", "invalid_key", "not_authenticated"), response.content
    assert client.get("/api/appeals", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    body = json.dumps({"text": "Проверка"})
    wrong = client.post("/api/appeals", body, content_type="application/json", headers={"Authorization": "Bearer tsur_guess"})
    assert wrong.status_code == 401  # a wrong key is never treated as anonymous intake
