"""The Content-Security-Policy holds in a real browser and breaks no page: each page a person uses
loads with no violation reported (Chromium logs every refused script, style or frame)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import login
from tests.factories import build_world, new_appeal

pytestmark = pytest.mark.browser


def violations(page, url: str) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda msg: seen.append(msg.text) if msg.type == "error" else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return [text for text in seen if "Content Security Policy" in text or "CSP violation" in text]


@pytest.fixture
def world_with_appeal(transactional_db):
    world = build_world()
    return world, new_appeal(world, lat=53.5, lon=35.5)


@pytest.mark.parametrize("path", ["/", "/widget/", "/widget/?embed=1", "/status/", "/accounts/login/", "/api/docs", "/no-such-page/"])
def test_public_pages_load_without_violations(page, live_server, world_with_appeal, path):
    assert violations(page, live_server.url + path) == []


def test_the_workspace_loads_without_violations(page, live_server, world_with_appeal):
    _world, appeal = world_with_appeal
    login(page, live_server, "operator")
    assert violations(page, f"{live_server.url}/workspace/") == []
    assert violations(page, f"{live_server.url}/workspace/appeals/{appeal.number}/") == []
    assert page.locator(".leaflet-container").count() == 1  # the map script ran under the policy
