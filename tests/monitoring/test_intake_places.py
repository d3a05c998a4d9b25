"""Territories from points, a batch at a time: the same answers as the appeals' one-point look-up
(tsur.directory.services.territory_at) on the demo's real boundaries."""

from __future__ import annotations

import json
import random

from tsur.demo.loader import DATA_DIR
from tsur.directory.models import Territory
from tsur.directory.services import forget_cached_boundaries, territory_at
from tsur.monitoring.places import Places, cell


def test_points_find_the_same_territories_as_one_at_a_time(db):
    rows = json.loads((DATA_DIR / "territories.json").read_text(encoding="utf-8"))
    by_code = {}
    for row in rows:
        by_code[row["code"]] = Territory.objects.create(
            code=row["code"], name=row["name"], level=row["level"], boundary=row.get("boundary"), parent=by_code.get(row.get("parent") or "")
        )
    forget_cached_boundaries()
    rng = random.Random(11)
    points = [(rng.uniform(53.2, 55.5), rng.uniform(33.3, 37.4)) for _ in range(400)]
    points += [(rng.uniform(54.45, 54.6), rng.uniform(36.1, 36.4)) for _ in range(200)]  # in and around the city
    places = Places()
    places.locate(points)
    expected = [getattr(territory_at(lat, lon), "pk", None) for lat, lon in points]
    assert [places.at(lat, lon) for lat, lon in points] == expected
    found = {pk for pk in expected if pk}
    assert by_code["kaluga"].pk in found and None in expected and len(found) > 10  # the districts cover the region


def test_codes_and_names_and_the_cell(db):
    Territory.objects.create(code="kaluga", name="Калуга", level="city_district", oktmo="29701000")
    places = Places()
    pk = Territory.objects.get().pk
    assert places.by_key("KALUGA", "code") == pk and places.by_key("калуга", "name") == pk and places.by_key("29701000", "oktmo") == pk
    assert places.by_key("29701", "oktmo") is None
    assert cell(54.5, 36.25) == "891185496b3ffff" and cell(None, 36.25) == ""
