"""An Open311 client's view: an integration account with an api_key, and helpers for both formats."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import pytest

from tests.factories import make_user
from tsur.accounts.models import ApiToken

BASE = "/open311/v2"
REPORT = {
    "service_code": "pothole",
    "lat": "53.5",
    "long": "35.5",
    "address_string": "с. Село, ул. Центральная, 1",
    "description": "Яма на дороге, звоните +7 900 111-22-33 или пишите yama@example.org",
    "first_name": "Мария",
    "last_name": "Сидорова",
    "email": "maria@example.org",
    "phone": "8 (912) 345-67-89",
}
PERSONAL = ("Мария", "Сидорова", "maria@example.org", "912", "345-67-89", "+7 900 111-22-33", "yama@example.org")


@pytest.fixture
def api_key(world) -> str:
    integration = make_user("civic-client", None)
    _token, raw = ApiToken.issue(integration, "Open311 client")
    return raw


def as_json(response) -> list | dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


def as_xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def xml_rows(root: ET.Element, item: str) -> list[dict]:
    return [{child.tag: (child.text or "") for child in el} for el in root.findall(item)]


def post_report(client, api_key: str | None, fmt: str = "json", **overrides):
    data = dict(REPORT, **overrides)
    if api_key is not None:
        data["api_key"] = api_key
    data = {k: v for k, v in data.items() if v is not None}
    # Form-encoded, as the spec and real clients send it.
    return client.post(f"{BASE}/requests.{fmt}", urlencode(data), content_type="application/x-www-form-urlencoded")
