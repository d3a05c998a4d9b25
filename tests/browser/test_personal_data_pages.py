"""The personal-data pages in a real browser at a desktop and a phone size, screenshots in
/tmp/shots/pd/: «Мои данные» in the cabinet and by the private link, the deletion request, the
administrators' queue and the access log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import login
from tests.privacy.helpers import PLANTED, T0, appeal_at, closed_appeal
from tsur.appeals.models import DataRequest
from tsur.appeals.services import record_personal_data_view

pytestmark = pytest.mark.browser
SHOTS = Path("/tmp/shots/pd")
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, (w, h) in SIZES.items():
        page.set_viewport_size({"width": w, "height": h})
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 768})


def test_a_resident_requests_deletion_and_an_administrator_executes_it(page, live_server, world):
    mine = appeal_at(world, T0, user=world.resident)
    linked = closed_appeal(world, T0, email="link.holder@example.net")
    record_personal_data_view(mine, world.operator, "рабочее место")
    login(page, live_server, "resident")
    page.goto(f"{live_server.url}/cabinet/data/")
    assert PLANTED["phone"] in page.content()
    shoot(page, "cabinet-my-data")
    page.check("[data-testid=confirm]")
    page.click("[data-testid=delete]")
    page.wait_for_load_state("networkidle")
    assert "ожидает исполнения" in page.content()
    shoot(page, "cabinet-request-pending")
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/status/{linked.number}/{linked.access_key}/data/")
    shoot(page, "status-my-data")
    page.check("[data-testid=confirm]")
    page.click("[data-testid=delete]")
    page.wait_for_load_state("networkidle")
    assert "данные удалены" in page.content()
    shoot(page, "status-data-deleted")
    login(page, live_server, "admin")
    page.goto(f"{live_server.url}/workspace/privacy/requests/")
    shoot(page, "admin-requests")
    page.click("[data-testid=execute]")
    page.wait_for_load_state("networkidle")
    assert DataRequest.objects.filter(state=DataRequest.State.DONE).count() == 2
    shoot(page, "admin-request-done")
    page.goto(f"{live_server.url}/workspace/privacy/")
    assert mine.number in page.content()
    shoot(page, "admin-access-log")
