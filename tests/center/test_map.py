"""The center's map page and its data: Russian for the center's roles, 403 for an executor, the
JSON's shape, the cap on appeals shipped one by one and the H3 counts of the rest."""

from __future__ import annotations

import datetime as dt

import h3
import pytest
from django.utils import timezone

from tests.center.helpers import make_point
from tests.factories import new_appeal
from tsur.core import clock
from tsur.workspace.center import map as center_map

NOW = timezone.make_aware(dt.datetime(2026, 11, 20, 12, 0))


@pytest.fixture
def placed(world):
    """Five appeals with coordinates over five days and one without, the clock on the last day."""
    with clock.at(NOW):
        for day in range(5):
            new_appeal(world, lat=53.5 + day * 0.01, lon=35.5, received_at=NOW - dt.timedelta(days=day, hours=1))
        new_appeal(world, received_at=NOW - dt.timedelta(hours=2))
        yield world


def test_it_shows_the_map_in_russian_to_an_analyst(client, placed):
    client.force_login(placed.analyst)
    with clock.at(NOW):
        response = client.get("/workspace/center/map/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Карта обращений и точек напряжённости" in html
    assert "/workspace/center/map/data/?" in html
    assert "center/map.js" in html
    assert "/widget/boundaries.geojson" in html


def test_it_refuses_the_map_to_an_executor(client, placed):
    client.force_login(placed.executor)
    assert client.get("/workspace/center/map/").status_code == 403
    assert client.get("/workspace/center/map/data/").status_code == 403


def test_it_returns_every_appeal_under_the_cap(client, placed):
    client.force_login(placed.operator)
    with clock.at(NOW):
        data = client.get("/workspace/center/map/data/").json()
    assert data["total"] == 5
    assert data["shown"] == 5
    assert data["unplaced"] == 1
    assert data["cells"] == []
    assert data["appeal_fields"] == ["number", "lat", "lon", "status", "category", "received_at"]
    first = dict(zip(data["appeal_fields"], data["appeals"][0], strict=True))
    assert first["lat"] == 53.5 and first["category"] == "Ямы на дороге"
    assert "Показаны 5 из 5" in data["note"]
    assert "Без координат: 1" in data["note"]
    assert data["points"] == []


def test_it_draws_the_points_of_tension_with_their_links(client, placed):
    with clock.at(NOW):
        point = make_point(placed, first_seen=NOW - dt.timedelta(days=1), start=dt.date(2026, 11, 14))
        make_point(placed, first_seen=NOW, start=dt.date(2026, 11, 14), state="resolved", lat=None, lon=None)
    client.force_login(placed.analyst)
    with clock.at(NOW):
        data = client.get("/workspace/center/map/data/").json()
    [p] = data["points"]  # the resolved one is not drawn
    assert p["id"] == point.pk and p["url"] == f"/workspace/center/tension/{point.pk}/"
    assert (p["lat"], p["lon"], p["state"], p["state_label"]) == (53.5, 35.45, "growing", "растёт")
    assert p["title"] == "Ямы на дороге — Район" and "12 обращений" in p["explanation"]


def test_it_caps_the_appeals_and_counts_the_rest_in_h3_cells(client, placed, monkeypatch):
    monkeypatch.setattr(center_map, "MAP_APPEALS_CAP", 2)
    client.force_login(placed.analyst)
    with clock.at(NOW):
        data = client.get("/workspace/center/map/data/").json()
    assert data["total"] == 5 and data["shown"] == 2 and data["cap"] == 2
    numbers = [row[0] for row in data["appeals"]]
    # The newest two: received today and yesterday, at 53.50 and 53.51.
    assert [row[1] for row in data["appeals"]] == [53.5, 53.51]
    assert len(set(numbers)) == 2
    assert sum(c["count"] for c in data["cells"]) == 3
    for c in data["cells"]:
        assert h3.is_valid_cell(c["cell"]) and h3.get_resolution(c["cell"]) == center_map.REGION_RESOLUTION
        assert len(c["outline"]) >= 5
    expected = {h3.latlng_to_cell(53.5 + d * 0.01, 35.5, center_map.REGION_RESOLUTION) for d in (2, 3, 4)}
    assert {c["cell"] for c in data["cells"]} == expected
    assert "Показаны 2 из 5" in data["note"] and "остальные 3 — числом по участкам карты" in data["note"]


def test_it_counts_finer_cells_within_a_municipality(client, placed, monkeypatch):
    monkeypatch.setattr(center_map, "MAP_APPEALS_CAP", 2)
    client.force_login(placed.analyst)
    with clock.at(NOW):
        data = client.get("/workspace/center/map/data/", {"territory": "district"}).json()
    assert data["h3_resolution"] == center_map.TERRITORY_RESOLUTION
    expected = {h3.latlng_to_cell(53.5 + d * 0.01, 35.5, center_map.TERRITORY_RESOLUTION) for d in (2, 3, 4)}
    assert {c["cell"] for c in data["cells"]} == expected
    assert sum(c["count"] for c in data["cells"]) == 3


def test_it_applies_the_shared_filters(client, placed):
    client.force_login(placed.analyst)
    with clock.at(NOW):
        data = client.get("/workspace/center/map/data/", {"from": "2026-11-19", "to": "2026-11-20"}).json()
        assert data["total"] == 2
        none = client.get("/workspace/center/map/data/", {"category": "garbage"}).json()
        assert none["total"] == 0 and none["appeals"] == []


def test_it_explains_a_bad_filter_in_russian(client, placed):
    client.force_login(placed.analyst)
    with clock.at(NOW):
        response = client.get("/workspace/center/map/data/", {"from": "2026-11-20", "to": "2026-11-01"})
        assert response.status_code == 400
        assert "Начало периода позже его конца" in response.json()["error"]
        page = client.get("/workspace/center/map/", {"territory": "atlantis"})
    assert page.status_code == 400
    assert "Территория с кодом «atlantis» не найден" in page.content.decode()


def test_it_sends_an_unbounded_score_as_valid_json(client, placed):
    with clock.at(NOW):
        make_point(placed, first_seen=NOW, start=dt.date(2026, 11, 14), score=float("inf"), surprise=float("inf"))
    client.force_login(placed.analyst)
    with clock.at(NOW):
        response = client.get("/workspace/center/map/data/")
        page = client.get("/workspace/center/").content.decode()
    assert b"Infinity" not in response.content
    [p] = response.json()["points"]
    assert p["score"] == 999.0 and p["score_label"] == "очень высокая"  # the cap of tension.queries
    assert "Оценка очень высокая" in page
