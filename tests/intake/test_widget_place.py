"""A point outside the chosen territory is questioned, never accepted silently: the widget refuses
the pair with a Russian error naming where the point is, unless the resident confirms it; the app
API / Open311 path keeps accepting (the card flags it, see tests/workspace/test_place.py)."""

from __future__ import annotations

from tests.factories import new_appeal
from tests.intake.helpers import field_errors, form_token
from tsur.appeals.models import Appeal

IN_CITY = ("54.55", "36.25")
IN_DISTRICT = ("53.5", "35.5")


def post(client, **data):
    payload = {"form_token": form_token(client), "text": "Не горят фонари во дворе"}
    payload.update(data)
    return client.post("/widget/", payload)


def test_it_refuses_a_point_outside_the_chosen_territory_naming_where_it_is(world, client):
    response = post(client, territory="city", lat=IN_DISTRICT[0], lon=IN_DISTRICT[1])
    assert response.status_code == 400
    html = response.content.decode()
    error = field_errors(html, "location")
    assert "Точка на карте стоит в «Район», а выбрана территория «Город»" in error
    assert "подтвердите, что точка верна" in error
    # The warning with the offered territory and the confirmation is shown next to the map.
    assert 'data-place-pick="district"' in html and "Выбрать «Район»" in html
    assert "Точка верна, территорию уточнит оператор" in html
    assert "district" not in error and "city" not in error  # names, never codes
    assert not Appeal.objects.exists()


def test_it_refuses_a_settlement_with_a_point_in_another_formation(world, client):
    response = post(client, territory="village", lat=IN_CITY[0], lon=IN_CITY[1])
    assert response.status_code == 400
    assert "стоит в «Город», а выбрана территория «Село»" in field_errors(response.content.decode(), "location")


def test_it_accepts_the_pair_when_the_resident_confirms_the_point(world, client):
    response = post(client, territory="city", lat=IN_DISTRICT[0], lon=IN_DISTRICT[1], point_confirmed="1")
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert appeal.territory == world.city and (appeal.lat, appeal.lon) == (53.5, 35.5)


def test_it_accepts_a_point_inside_the_chosen_territory_or_its_district(world, client):
    assert post(client, territory="city", lat=IN_CITY[0], lon=IN_CITY[1]).status_code == 302
    assert post(client, territory="village", lat=IN_DISTRICT[0], lon=IN_DISTRICT[1]).status_code == 302
    assert Appeal.objects.count() == 2


def test_it_hides_the_warning_when_nothing_is_wrong(world, client):
    html = client.get("/widget/").content.decode()
    assert "data-place-warning hidden" in html
    assert 'data-places="/widget/places.json"' in html


def test_it_keeps_accepting_the_pair_from_the_app_api_and_open311(world):
    for channel in ("app", "open311"):
        appeal = new_appeal(world, channel=channel, territory_code="city", lat=53.5, lon=35.5, external_id=f"{channel}-1")
        assert appeal.territory == world.city and (appeal.lat, appeal.lon) == (53.5, 35.5)
