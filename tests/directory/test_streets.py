"""Streets and places outside the region are configuration rows: the demo loader fills them, the
admin lists and edits them in Russian, and a street is unique per territory, name and type."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tsur.directory.models import OutsidePlace, Street, Territory


@pytest.fixture
def admin_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@example.org", "pass-12345")
    client.force_login(user)
    return client


@pytest.fixture
def city(db):
    region = Territory.objects.create(code="ozernaya-oblast", name="Озёрная область", level="region")
    return Territory.objects.create(code="novoozyorsk", name="Новоозёрск", level="city_district", parent=region)


def test_it_lists_streets_in_the_admin_in_russian(admin_client, city):
    Street.objects.create(name="Сосновая", type=Street.Type.STREET, territory=city)
    Street.objects.create(name="Озёрный", type=Street.Type.AVENUE, territory=city, lat=50.3, lon=62.3)
    page = admin_client.get("/admin/directory/street/").content.decode()
    assert "Улицы" in page and "Тип" in page and "Территория" in page
    assert "Сосновая" in page and "Озёрный" in page and "проспект" in page and "Новоозёрск" in page
    assert admin_client.get("/admin/directory/street/?q=Сосн").content.decode().count("Сосновая") >= 1
    index = admin_client.get("/admin/").content.decode()
    assert "Улицы" in index and "Места за пределами региона" in index


def test_it_adds_a_street_in_the_admin(admin_client, city):
    response = admin_client.post(
        "/admin/directory/street/add/", {"name": "Рябиновая", "type": "переулок", "territory": city.pk, "lat": "", "lon": ""}
    )
    assert response.status_code == 302
    street = Street.objects.get(name="Рябиновая")
    assert (street.type, street.territory, str(street)) == ("переулок", city, "переулок Рябиновая")


def test_it_lists_and_adds_places_outside_the_region_in_the_admin(admin_client, db):
    OutsidePlace.objects.create(name="Тула", kind=OutsidePlace.Kind.CITY)
    page = admin_client.get("/admin/directory/outsideplace/").content.decode()
    assert "Места за пределами региона" in page and "Тула" in page and "город" in page
    response = admin_client.post("/admin/directory/outsideplace/add/", {"name": "Тульская область", "kind": "region"})
    assert response.status_code == 302
    assert OutsidePlace.objects.get(name="Тульская область").get_kind_display() == "регион («Тульская область»)"


def test_a_street_is_unique_per_territory_name_and_type(city):
    Street.objects.create(name="8 Марта", type=Street.Type.STREET, territory=city)
    Street.objects.create(name="8 Марта", type=Street.Type.LANE, territory=city)  # the same name, another type
    with pytest.raises(IntegrityError), transaction.atomic():
        Street.objects.create(name="8 Марта", type=Street.Type.STREET, territory=city)
