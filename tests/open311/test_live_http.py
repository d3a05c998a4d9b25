"""Over real HTTP, with nothing but the standard library's HTTP client: what an unchanged Open311
client would do against a running server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model

from tests.factories import build_world, make_user
from tests.open311.conftest import PERSONAL, REPORT
from tsur.accounts.models import ApiToken
from tsur.appeals import services
from tsur.appeals.models import Appeal


@pytest.fixture
def live(transactional_db, live_server) -> tuple[str, str]:
    build_world()
    _token, key = ApiToken.issue(make_user("civic-client", None), "Open311 client")
    return live_server.url.replace("localhost", "127.0.0.1") + "/open311/v2", key


def fetch(url: str, data: dict | None = None) -> tuple[int, str, bytes]:
    body = urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={"Accept": "*/*"})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def test_it_serves_an_unchanged_http_client(live):
    base, key = live
    assert base.startswith("http://127.0.0.1:")

    status, ctype, body = fetch(f"{base}/services.json")
    assert status == 200 and ctype.startswith("application/json")
    assert "pothole" in [s["service_code"] for s in json.loads(body)]

    status, _ctype, body = fetch(f"{base}/requests.json", dict(REPORT))  # no api_key
    assert status == 403 and json.loads(body)[0]["code"] == 403

    status, _ctype, body = fetch(f"{base}/requests.json", dict(REPORT, api_key=key))
    assert status == 200
    number = json.loads(body)[0]["service_request_id"]
    status, _ctype, body = fetch(f"{base}/requests/{number}.json")
    assert status == 404  # in moderation: not public yet
    world_operator = get_user_model().objects.get(username="operator")
    services.route_appeal(Appeal.objects.get(number=number).pk, world_operator)

    status, ctype, body = fetch(f"{base}/requests/{number}.xml")
    assert status == 200 and ctype.startswith("text/xml")
    request = ET.fromstring(body).find("request")
    assert request.findtext("service_request_id") == number and request.findtext("status") == "open"

    status, _ctype, body = fetch(f"{base}/requests.json?" + urlencode({"service_code": "pothole", "status": "open"}))
    assert status == 200 and [r["service_request_id"] for r in json.loads(body)] == [number]
    for value in PERSONAL:
        assert value not in body.decode()

    status, _ctype, body = fetch(f"{base}/requests.json?start_date=not-a-date")
    assert status == 400 and json.loads(body)[0]["code"] == 400
