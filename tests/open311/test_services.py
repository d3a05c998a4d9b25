"""GET services and service definitions, in JSON and XML."""

from __future__ import annotations

from tests.open311.conftest import BASE, as_json, as_xml, xml_rows
from tsur.directory.models import Category

SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]


def test_it_lists_public_active_services_in_json(client, world):
    Category.objects.create(code="internal", block=world.roads, name="Служебная", is_public=False)
    Category.objects.create(code="old", block=world.roads, name="Устаревшая", is_active=False)
    world.garbage.open311_code = "SWR-001"
    world.garbage.save()
    services = as_json(client.get(f"{BASE}/services.json"))
    assert [s["service_code"] for s in services] == ["snow", "pothole", "heating", "SWR-001"]
    assert all(list(s) == SERVICE_FIELDS for s in services)
    pothole = services[1]
    assert pothole == {
        "service_code": "pothole",
        "service_name": "Ямы на дороге",
        "description": "Дороги: Ямы на дороге",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "Дороги",
    }


def test_it_lists_services_in_xml(client, world):
    root = as_xml(client.get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    rows = xml_rows(root, "service")
    assert [r["service_code"] for r in rows] == ["snow", "pothole", "heating", "garbage"]
    assert rows[2] == {
        "service_code": "heating",
        "service_name": "Нет отопления",
        "description": "ЖКХ: Нет отопления",
        "metadata": "false",
        "type": "realtime",
        "keywords": "",
        "group": "ЖКХ",
    }


def test_it_gives_a_service_definition(client, world):
    world.garbage.open311_code = "SWR-001"
    world.garbage.save()
    assert as_json(client.get(f"{BASE}/services/SWR-001.json")) == {"service_code": "SWR-001", "attributes": []}
    root = as_xml(client.get(f"{BASE}/services/pothole.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "pothole" and root.find("attributes") is not None


def test_it_answers_404_in_the_spec_format_for_an_unknown_or_hidden_service(client, world):
    Category.objects.create(code="internal", block=world.roads, name="Служебная", is_public=False)
    for code in ("nope", "internal", "garbage"):  # garbage is reachable only by its code while it has no open311_code
        if code == "garbage":
            world.garbage.open311_code = "SWR-001"
            world.garbage.save()
        response = client.get(f"{BASE}/services/{code}.json")
        assert response.status_code == 404
        [err] = as_json(response)
        assert err["code"] == 404 and code in err["description"]
    root = as_xml(client.get(f"{BASE}/services/nope.xml"))
    assert root.tag == "errors" and root.find("error").findtext("code") == "404"


def test_it_refuses_an_unknown_format_and_unknown_paths(client, world):
    response = client.get(f"{BASE}/services.csv")
    assert response.status_code == 400 and as_json(response)[0]["code"] == 400
    response = client.get(f"{BASE}/nothing/here")
    assert response.status_code == 404 and as_json(response)[0]["code"] == 404
    response = client.post(f"{BASE}/services.json")
    assert response.status_code == 405 and response["Allow"] == "GET"
