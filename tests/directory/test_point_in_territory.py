"""The one point/territory check the widget, the card and the services share."""

from __future__ import annotations

from tsur.directory.models import Territory
from tsur.directory.placement import check_point, outside_message

IN_CITY = (54.55, 36.25)
IN_DISTRICT = (53.5, 35.5)
IN_REGION_ONLY = (54.8, 36.8)


def test_it_finds_a_point_inside_its_territory(world):
    check = check_point(world.city, *IN_CITY)
    assert check is not None and check.inside and not check.outside
    assert check.checked == world.city and check.point_in is None


def test_it_names_the_territory_a_point_outside_lies_in(world):
    check = check_point(world.city, *IN_DISTRICT)
    assert check.outside and check.point_in == world.district
    assert outside_message(check) == "Точка вне территории «Город»: она в «Район»"


def test_it_checks_a_settlement_without_boundary_against_its_district(world):
    assert check_point(world.village, *IN_DISTRICT).inside
    check = check_point(world.village, *IN_CITY)
    assert check.outside and check.checked == world.district and check.point_in == world.city
    assert outside_message(check) == "Точка вне территории «Село»: она в «Город»"


def test_it_says_when_the_point_is_in_no_municipal_formation(world):
    check = check_point(world.city, *IN_REGION_ONLY)
    assert check.outside and check.point_in == world.region
    assert outside_message(check) == "Точка вне территории «Город»: она в «Область»"


def test_it_has_nothing_to_check_without_a_territory_a_point_or_a_boundary(world):
    assert check_point(None, *IN_CITY) is None
    assert check_point(world.city, None, None) is None
    lone = Territory.objects.create(code="lone", name="Без границы", level="settlement")
    assert check_point(lone, *IN_CITY) is None
