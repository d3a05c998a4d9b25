"""The public Open311 feed (no key) publishes only what the center has moderated, masked by the
same personal-data engine as exports, and stays well-formed whatever was stored."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests import pd_samples
from tests.factories import new_appeal
from tests.open311.conftest import BASE, as_json, as_xml, xml_rows
from tsur.appeals import services
from tsur.appeals.models import Appeal


def listed(client, fmt: str = "json", **params) -> list[str]:
    response = client.get(f"{BASE}/requests.{fmt}", params)
    assert response.status_code == 200, response.content
    if fmt == "xml":
        return [row["service_request_id"] for row in xml_rows(as_xml(response), "request")]
    return [row["service_request_id"] for row in as_json(response)]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_publishes_nothing_before_moderation(client, world, fmt):
    appeal = Appeal.objects.get(pk=new_appeal(world).pk)
    assert appeal.status == "moderation"
    assert listed(client, fmt) == [] and listed(client, fmt, service_request_id=appeal.number) == []
    assert client.get(f"{BASE}/requests/{appeal.number}.{fmt}").status_code == 404
    services.route_appeal(appeal.pk, world.operator)
    assert listed(client, fmt) == [appeal.number]


def test_it_publishes_a_join_only_when_an_operator_made_it(client, world):
    lead = new_appeal(world)
    services.route_appeal(lead.pk, world.operator)
    by_detector = new_appeal(world, text="Та же яма")
    services.join_to_problem(by_detector.pk, None, lead_number=lead.number)  # the duplicate detector
    by_operator = new_appeal(world, text="И снова та же яма")
    services.join_to_problem(by_operator.pk, world.operator, lead_number=lead.number)
    assert listed(client) == [by_operator.number, lead.number]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_masks_every_shape_of_personal_data(client, world, fmt):
    appeal = new_appeal(world, text=pd_samples.TEXT, **pd_samples.RESIDENT)
    services.route_appeal(appeal.pk, world.operator)
    for url in (f"{BASE}/requests.{fmt}", f"{BASE}/requests/{appeal.number}.{fmt}"):
        body = client.get(url).content.decode()
        assert pd_samples.leaks(body) == [], url
        assert all(kept in body for kept in pd_samples.KEPT)


def test_it_stays_well_formed_xml_with_control_characters_stored(client, world):
    appeal = new_appeal(world, text="Яма\x0b на дороге")
    assert Appeal.objects.get(pk=appeal.pk).text == "Яма на дороге"  # dropped on the way in
    services.route_appeal(appeal.pk, world.operator)
    # A text stored before control characters were dropped at intake:
    Appeal.objects.filter(pk=appeal.pk).update(text_masked="Яма\x01\x0b\x1f на дороге", address="ул.\x08 Мира")
    for url in (f"{BASE}/requests.xml", f"{BASE}/requests/{appeal.number}.xml"):
        row = ET.fromstring(client.get(url).content).find("request")  # a ParseError before
        assert (row.findtext("description"), row.findtext("address")) == ("Яма на дороге", "ул. Мира")


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01", "9999-12-31"])
@pytest.mark.parametrize("name", ["start_date", "end_date"])
def test_it_answers_400_for_dates_at_the_ends_of_the_calendar(client, world, name, value):
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", {name: value})
        assert response.status_code == 400, response.content  # was 500 (OverflowError)
