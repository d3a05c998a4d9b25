"""The card tells one story of the place (territory and its source, address, point, and a flag when
the point lies outside the territory); operators move or clear the point through `change_place`,
whose event keeps the point before and after and the timeline says it in words."""

from __future__ import annotations

import json

import pytest

from tests.factories import new_appeal
from tsur.appeals import services
from tsur.appeals.models import Event
from tsur.core.errors import ValidationFailed
from tsur.workspace.place import map_data


def _map_json(body: str) -> dict:
    return json.loads(body.split('id="map-data" type="application/json">')[1].split("</script>")[0])


def test_it_flags_a_point_outside_the_territory_by_names(desk, world):
    a = new_appeal(world, channel="app", territory_code="city", lat=53.5, lon=35.5)
    body = desk.as_(world.operator).card(a).content.decode()
    assert "Точка вне территории «Город»: она в «Район»" in body
    assert 'data-testid="place-outside"' in body
    assert "указал житель" in body.split('data-testid="place-territory"')[1].split("</dd>")[0]
    data = _map_json(body)
    assert data["boundary"] == world.city.boundary and data["point_boundary"] == world.district.boundary
    assert data["caption"] == "На карте: синяя граница — «Город»; оранжевая — «Район», где стоит точка; красная точка — место обращения."


def test_it_shows_no_flag_when_the_point_is_inside(desk, world):
    a = new_appeal(world, territory_code="village", lat=53.5, lon=35.5)
    body = desk.as_(world.operator).card(a).content.decode()
    assert 'data-testid="place-outside"' not in body and "Точка вне территории" not in body
    data = map_data(a)
    assert data["boundary_name"] == "Район" and data["point_boundary"] is None
    assert data["caption"] == "На карте: синяя граница — «Район»; красная точка — место обращения."
    assert data["places_url"] == "/widget/places.json"


def test_it_says_on_the_map_when_there_is_no_point(world):
    a = new_appeal(world, territory_code="city")
    assert map_data(a)["caption"] == "На карте: синяя граница — «Город»; точка не указана."


def test_it_moves_the_point_and_keeps_before_and_after_in_the_event(world):
    a = new_appeal(world, territory_code="city", lat=54.55, lon=36.25)
    services.change_place(a, world.operator, lat=54.6, lon=36.3, reason="по фото")
    a.refresh_from_db()
    assert (a.lat, a.lon) == (54.6, 36.3) and a.territory == world.city and a.place_source == "operator"
    event = Event.objects.filter(appeal=a, kind="change_place").get()
    assert event.data["before"]["point"] == [54.55, 36.25] and event.data["after"]["point"] == [54.6, 36.3]


def test_it_clears_the_point(world):
    a = new_appeal(world, territory_code="city", lat=54.55, lon=36.25)
    services.change_place(a, world.operator, clear_point=True)
    a.refresh_from_db()
    assert a.lat is None and a.lon is None
    event = Event.objects.filter(appeal=a, kind="change_place").get()
    assert event.data["before"]["point"] == [54.55, 36.25] and event.data["after"]["point"] is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lat": 56.5, "lon": 36.0}, "Точка находится за пределами региона."),
        ({"lat": 54.5, "lon": None}, "Укажите обе координаты точки: широту и долготу."),
        ({"lat": 95.0, "lon": 36.0}, "Координаты вне допустимого диапазона."),
        ({"lat": 54.5, "lon": 36.2, "clear_point": True}, "Точку нельзя одновременно поставить и убрать."),
    ],
)
def test_it_refuses_a_bad_point_in_russian(world, kwargs, message):
    a = new_appeal(world, territory_code="city", lat=54.55, lon=36.25)
    with pytest.raises(ValidationFailed) as exc:
        services.change_place(a, world.operator, **kwargs)
    assert exc.value.message == message
    a.refresh_from_db()
    assert (a.lat, a.lon) == (54.55, 36.25)
    assert not Event.objects.filter(appeal=a, kind="change_place").exists()


def test_it_says_the_point_change_in_the_timeline(desk, world):
    a = new_appeal(world, territory_code="city", lat=54.55, lon=36.25)
    services.change_place(a, world.operator, lat=54.6, lon=36.3)
    services.change_place(a, world.operator, clear_point=True)
    services.change_place(a, world.operator, lat=54.5, lon=36.1)
    body = desk.as_(world.operator).card(a).content.decode()
    assert "Точка перенесена: 54.55000, 36.25000 → 54.60000, 36.30000" in body
    assert "Точка убрана (была 54.60000, 36.30000)" in body
    assert "Точка поставлена: 54.50000, 36.10000" in body
    services.change_place(a, world.operator, territory_code="district", lat=53.5, lon=35.5)
    body = desk.card(a).content.decode()
    assert "Город → Район; точка перенесена: 54.50000, 36.10000 → 53.50000, 35.50000" in body


def test_it_moves_and_clears_the_point_from_the_card_form(desk, world):
    a = new_appeal(world, territory_code="city", lat=54.55, lon=36.25)
    desk.as_(world.operator)
    form_html = desk.card(a).content.decode().split('data-action="change_place"')[1].split("</details>")[0]
    assert 'name="change_place-lat"' in form_html and 'name="change_place-clear_point"' in form_html
    response = desk.act(a, "change_place", {"territory": "", "address": "", "lat": "54.61", "lon": "36.31", "reason": "по фото"})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.lat, a.lon) == (54.61, 36.31)
    # Unchanged coordinates with the box ticked: the point goes.
    desk.act(a, "change_place", {"territory": "", "address": "", "lat": "54.61", "lon": "36.31", "clear_point": "on"})
    a.refresh_from_db()
    assert a.lat is None and a.lon is None


def test_it_shows_a_bad_point_from_the_card_form_in_russian(desk, world):
    a = new_appeal(world, territory_code="city", lat=54.55, lon=36.25)
    desk.as_(world.operator)
    response = desk.act(a, "change_place", {"territory": "", "address": "", "lat": "56.5", "lon": "36.0"})
    assert response.status_code == 422
    assert "Точка за пределами региона." in response.content.decode()
    response = desk.act(a, "change_place", {"territory": "", "address": "", "lat": "54.5", "lon": ""})
    assert response.status_code == 422
    assert "Укажите обе координаты или нажмите на карту." in response.content.decode()


def test_it_gives_the_card_map_the_optional_base_layer(world, settings):
    a = new_appeal(world, territory_code="city", lat=54.55, lon=36.25)
    assert map_data(a)["tiles"] == ""  # offline by default: boundaries and places only
    settings.TSUR_MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    settings.TSUR_MAP_TILE_ATTRIBUTION = "© Подложка"
    data = map_data(a)
    assert data["tiles"] == "https://tiles.example/{z}/{x}/{y}.png" and data["tiles_attribution"] == "© Подложка"
