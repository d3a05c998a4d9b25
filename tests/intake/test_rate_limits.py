"""Rate limits of public intake: the JSON API, the widget and Open311 refuse a flood with 429 and
Retry-After, in Russian, and the refused requests write nothing. Without a key a client is counted
by its address; with one, by the key."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from tests.factories import make_user
from tests.intake.helpers import form_token
from tests.open311.conftest import REPORT
from tsur.accounts.models import ApiToken, Scope
from tsur.appeals.models import Appeal

BODY = {"text": "Яма на дороге у остановки", "category": "pothole", "territory": "district"}


@pytest.fixture
def limits(settings, still_rate_clock):
    settings.TSUR_RATE_INTAKE_ANONYMOUS = ["5/m", "8/h"]
    settings.TSUR_RATE_INTAKE_KEY = ["7/m"]
    return settings


def api_post(client, ip: str = "203.0.113.7", key: str | None = None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post("/api/appeals", json.dumps(BODY), content_type="application/json", REMOTE_ADDR=ip, headers=headers)


def test_the_defaults_are_limits(settings):
    assert settings.TSUR_RATE_INTAKE_ANONYMOUS == ["10/m", "60/h"] and settings.TSUR_RATE_INTAKE_KEY == ["600/m"]
    assert settings.RATELIMIT_ENABLE is True


def test_it_throttles_the_api_per_address(client, world, limits):
    codes = [api_post(client).status_code for _ in range(6)]
    assert codes == [201] * 5 + [429]
    refused = api_post(client)
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "throttled" and "не более 5 за минуту" in body["message"]
    assert Appeal.objects.count() == 5
    assert api_post(client, ip="198.51.100.9").status_code == 201  # another client is not affected


def test_the_hourly_limit_applies_too(client, world, limits):
    limits.TSUR_RATE_INTAKE_ANONYMOUS = ["100/m", "3/h"]
    assert [api_post(client).status_code for _ in range(4)] == [201, 201, 201, 429]
    assert "не более 3 за час" in api_post(client).json()["message"]


def test_it_counts_an_api_key_by_the_key_with_its_own_limit(client, world, limits):
    _t, key = ApiToken.issue(make_user("app", None), "app", scopes=[Scope.INTAKE])
    codes = [api_post(client, ip=f"198.51.100.{i}", key=key).status_code for i in range(8)]
    assert codes == [201] * 7 + [429]


def test_it_throttles_the_widget(client, world, limits):
    statuses = []
    for i in range(6):
        token = form_token(client)
        statuses.append(client.post("/widget/", {"form_token": token, "text": f"Мусор не вывозят {i}"}, REMOTE_ADDR="203.0.113.7"))
    assert [r.status_code for r in statuses] == [302] * 5 + [429]
    page = statuses[-1].content.decode()
    assert "Слишком много обращений подряд" in page and statuses[-1]["Retry-After"]
    assert Appeal.objects.count() == 5


def test_it_throttles_open311_posts_per_key(client, world, limits):
    _t, key = ApiToken.issue(make_user("civic", None), "Open311")
    codes = []
    for _ in range(8):
        response = client.post("/open311/v2/requests.json", urlencode(dict(REPORT, api_key=key)), content_type="application/x-www-form-urlencoded")
        codes.append(response.status_code)
    assert codes == [200] * 7 + [429]
    assert json.loads(response.content)[0]["code"] == 429 and response["Retry-After"]
    assert Appeal.objects.count() == 7


def test_it_can_be_switched_off(client, world, limits):
    limits.RATELIMIT_ENABLE = False
    assert {api_post(client).status_code for _ in range(7)} == {201}


def test_a_cache_outage_does_not_stop_intake(client, world, limits, monkeypatch):
    from django_ratelimit import core

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(core.caches["default"], "add", broken)
    assert {api_post(client).status_code for _ in range(7)} == {201}
