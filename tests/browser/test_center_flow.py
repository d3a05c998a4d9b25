"""A real browser walks the situation center as an analyst: the front page → the dashboards →
a number's drill-down list → an appeal's card; a point of tension → its appeals → a card; the map
draws its appeals and points without a JavaScript error; the weekly report's PDF is made. Takes
the screenshots of the map, the front page, a dashboard and the weekly PDF (1366×768) into
/tmp/screens/ (TSUR_SCREENS to change)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from tests.browser.conftest import login
from tests.center.helpers import make_point
from tests.factories import new_appeal
from tsur.appeals import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENS = Path(os.environ.get("TSUR_SCREENS", "/tmp/screens"))
PLACES = [(53.42, 35.31), (53.47, 35.52), (53.55, 35.40), (53.61, 35.72), (53.78, 35.22), (54.55, 36.21), (54.62, 36.35)]


def expect():
    from playwright.sync_api import expect as _expect

    return _expect


def some_weeks_of_appeals(world) -> list:
    """Appeals with coordinates over the last two weeks in both territories, some routed."""
    now = timezone.now()
    made = []
    for i in range(21):
        lat, lon = PLACES[i % len(PLACES)]
        territory = "city" if lat > 54 else "district"
        category = ("pothole", "snow", "garbage")[i % 3]
        a = new_appeal(
            world, text=f"Обращение жителя номер {i}: проблема на улице, просим принять меры", category_code=category,
            territory_code=territory, lat=lat + i * 0.002, lon=lon, received_at=now - dt.timedelta(days=i % 14, hours=i),
        )
        if i % 2 == 0:
            services.route_appeal(a, world.operator)
        made.append(a)
    return made


def test_it_walks_the_situation_center(page, live_server, world):
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.set_viewport_size({"width": 1366, "height": 768})
    SCREENS.mkdir(parents=True, exist_ok=True)

    appeals = some_weeks_of_appeals(world)
    today = timezone.localdate()
    point = make_point(
        world, appeals=[a for a in appeals if a.territory.code == "district"][:6], first_seen=timezone.now() - dt.timedelta(days=2),
        start=today - dt.timedelta(days=6),
    )
    login(page, live_server, "analyst")

    # The front page: tiles, the point with its explanation, the worst overdue.
    page.goto(f"{live_server.url}/workspace/center/")
    expect()(page.locator("h1")).to_have_text("Ситуационный центр")
    expect()(page.locator("[data-testid=tile-overdue]")).to_be_visible()
    expect()(page.locator("[data-testid=front-point]")).to_have_count(1)
    expect()(page.locator("[data-testid=front-point]")).to_contain_text("12 обращений за неделю при обычных 2,5")
    page.screenshot(path=str(SCREENS / "center-front.png"))

    # Dashboards → a number's drill-down → the appeal's card.
    page.goto(f"{live_server.url}/workspace/center/dashboard/")
    expect()(page.locator("[data-testid=tile-received]")).to_be_visible()
    page.screenshot(path=str(SCREENS / "center-dashboard.png"))
    page.click("[data-testid=tile-received]")
    page.wait_for_url("**/workspace/center/appeals/**")
    expect()(page.locator("[data-testid=found-count]")).to_have_text("21")
    first = page.locator("a.appeal-link").first
    number = first.inner_text()
    first.click()
    page.wait_for_url(f"**/workspace/appeals/{number}/")
    expect()(page.locator("h1")).to_contain_text(number)

    # A point of tension → its appeals → a card.
    page.goto(f"{live_server.url}/workspace/center/")
    page.click("[data-testid=front-point] h3 a")
    page.wait_for_url(f"**/workspace/center/tension/{point.pk}/**")
    behind = page.locator("a[href*='/workspace/appeals/']")
    expect()(behind).to_have_count(6)
    number = behind.first.inner_text().strip()
    behind.first.click()
    page.wait_for_url(f"**/workspace/appeals/{number}/")
    expect()(page.locator("h1")).to_contain_text(number)

    # The map: every appeal drawn (clustered), the point drawn, its popup links to the point.
    page.goto(f"{live_server.url}/workspace/center/map/")
    block = page.locator("[data-center-map]")
    expect()(block).to_have_attribute("data-map-state", "ready")
    expect()(block).to_have_attribute("data-appeals-drawn", "21")
    expect()(block).to_have_attribute("data-points-drawn", "1")
    expect()(page.locator("[data-map-note]")).to_contain_text("Показаны 21 из 21")
    expect()(page.locator(".marker-cluster").first).to_be_visible()
    expect()(block).to_have_attribute("data-boundaries-drawn", "2")  # the city and the district
    page.screenshot(path=str(SCREENS / "center-map.png"))

    # The weekly report on screen, made and stored on demand, listed on the reports page.
    page.goto(f"{live_server.url}/workspace/center/reports/weekly/")
    expect()(page.locator("[data-testid=weekly-report] h2")).to_have_count(5)
    page.screenshot(path=str(SCREENS / "center-weekly.png"), full_page=True)
    page.click("text=Сформировать и сохранить")
    page.wait_for_url("**/workspace/center/reports/**")
    expect()(page.locator("[data-testid=stored-reports] tbody tr")).to_have_count(1)
    expect()(page.locator("[data-testid=stored-reports] tbody tr")).to_contain_text("по запросу")

    # The weekly report's PDF, rendered to an image to look at.
    response = page.request.get(f"{live_server.url}/workspace/center/reports/weekly.pdf")
    assert response.ok and response.body().startswith(b"%PDF")
    (SCREENS / "weekly.pdf").write_bytes(response.body())
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "2", str(SCREENS / "weekly.pdf"), str(SCREENS / "weekly")], check=True)

    assert errors == []
