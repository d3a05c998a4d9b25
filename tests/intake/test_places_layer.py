"""The places every map shows to orient by without tiles: settlements with centre points (and the
streets that have coordinates), each with its kind, and the credit of the shipped geography."""

from __future__ import annotations

from tsur.directory.models import Street, Territory


def test_it_serves_settlements_and_streets_with_coordinates_and_their_credit(world, client):
    Territory.objects.create(code="town", name="Посёлок Заводской", level="settlement", parent=world.district, lat=53.4, lon=35.4, population=12000)
    world.city.lat, world.city.lon = 54.55, 36.25
    world.city.save()
    Street.objects.create(name="Ленина", type="улица", territory=world.city, lat=54.56, lon=36.26)
    Street.objects.create(name="Садовая", type="улица", territory=world.city)  # no point: nothing to draw
    response = client.get("/widget/places.json")
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=3600"
    data = response.json()
    assert "HFLabs" in data["attribution"] and "GeoNames" in data["attribution"]
    assert "OpenStreetMap" in data["boundaries_attribution"]
    places = {p["name"]: p for p in data["places"]}
    assert places["Город"]["kind"] == "city" and places["Город"]["code"] == "city"
    assert places["Посёлок Заводской"] == {"code": "town", "name": "Посёлок Заводской", "kind": "town", "lat": 53.4, "lon": 35.4}
    assert places["улица Ленина"] == {"name": "улица Ленина", "kind": "street", "lat": 54.56, "lon": 36.26}
    assert "Село" not in places and "улица Садовая" not in places and "Область" not in places
    again = client.get("/widget/places.json", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
