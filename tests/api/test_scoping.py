"""Who may see and do what, for every staff endpoint, with the named users of the test world:
outside your scope an appeal does not exist (404), the analyst reads without personal data and
acts on nothing (403), the outsider is refused (403), nobody without credentials gets in (401)."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import APPEAL
from tsur.appeals.models import Appeal, Event
from tsur.intake.api_present import ACTIONS

# A body of the right shape for every action, so refusals are about access and nothing else.
ACTION_BODIES: dict[str, dict] = {
    "route": {},
    "transfer": {"organisation": "waste-op", "reason": "Не наш вопрос"},
    "return-to-moderation": {"reason": "Не наш вопрос"},
    "assign": {"executor": 1},
    "accept": {},
    "reject": {"reason": "spam"},
    "join": {"lead": "2000-000001"},
    "reclassify": {"category": "snow"},
    "place": {"territory": "village"},
    "urgency": {"urgency": "high", "reason": "Школа рядом"},
    "interim-answer": {"text": "Работаем"},
    "extension-request": {"days": 5, "reason": "Нужны материалы"},
    "extension-decision": {"request": 1, "grant": True},
    "answer": {"text": "Яма заделана 12.05.2025."},
    "answer-approve": {},
    "answer-return": {"note": "Доработайте"},
    "publish": {},
    "confirm": {"source": "Камера"},
    "clarification": {"question": "Уточните, пожалуйста, номер дома."},
}
# Every operation of the API, sorted into who may call it; a new endpoint fails
# test_it_knows_the_access_rule_of_every_endpoint until it is placed here (and tested).
OPEN_OPERATIONS = {
    ("post", "/api/appeals"),
    ("post", "/api/appeals/multipart"),
    ("get", "/api/public/appeals/{number}"),
    ("post", "/api/public/appeals/{number}/rating"),
    # The resident's reply to a clarification: opened by the appeal's private key, like the rating
    # (tests/api/test_clarification.py).
    ("post", "/api/public/appeals/{number}/reply"),
    ("get", "/api/categories"),
    ("get", "/api/territories"),
    # Polls: open to everybody; a vote is verified by a resident's key, a one-time code or an
    # invitation (tests/polls/test_api.py).
    ("get", "/api/polls"),
    ("get", "/api/polls/{token}"),
    ("post", "/api/polls/{token}/code"),
    ("post", "/api/polls/{token}/votes"),
}
RESIDENT_OPERATIONS = {("get", "/api/my/appeals"), ("get", "/api/my/appeals/{number}")}
STAFF_OPERATIONS = {
    ("get", "/api/appeals"),
    ("get", "/api/appeals/{number}"),
    ("get", "/api/organisations"),
    ("get", "/api/templates"),
} | {("post", f"/api/appeals/{{number}}/{name}") for name in ACTION_BODIES}
# Objective monitoring: only an external system's own source key opens these, never a person's key
# or session (tests/monitoring/test_api.py covers the source's side).
SOURCE_OPERATIONS = {("post", "/api/monitoring/events"), ("get", "/api/monitoring/events/{external_id}")}

PD = ("Иван Петров", "ivan@example.org", "+7 900 000-00-00", "900 000", "+7 900 111-22-33")


@pytest.fixture
def routed(api, world) -> Appeal:
    """A district pothole routed to the roads ministry, a phone typed into its text."""
    body = dict(APPEAL, text="Яма у остановки, звоните +7 900 111-22-33")
    number = api.post("/api/appeals", body).json()["number"]
    api.act(number, "route", "operator")
    appeal = Appeal.objects.get(number=number)
    assert appeal.organisation.code == "roads-min"
    return appeal


def staff_calls(number: str) -> list[tuple[str, str, dict | None]]:
    calls: list[tuple[str, str, dict | None]] = [
        ("get", f"/api/appeals/{number}", None),
        ("get", f"/api/templates?appeal={number}", None),
    ]
    for name, body in ACTION_BODIES.items():
        calls.append(("post", f"/api/appeals/{number}/{name}", dict(body, version=1)))
    return calls


def call(api, method: str, url: str, body: dict | None, as_user: str | None):
    if method == "get":
        return api.client.get(url, headers=api._headers(as_user))
    return api.client.post(url, json.dumps(body), content_type="application/json", headers=api._headers(as_user))


def test_it_has_a_body_for_every_action():
    assert set(ACTION_BODIES) == set(ACTIONS)


def test_it_knows_the_access_rule_of_every_endpoint(api, world):
    schema = api.client.get("/api/openapi.json").json()
    operations = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert operations == OPEN_OPERATIONS | RESIDENT_OPERATIONS | STAFF_OPERATIONS | SOURCE_OPERATIONS


@pytest.mark.parametrize("username", [None, "operator", "admin", "resident"])
def test_it_lets_no_person_into_the_monitoring_endpoints(api, world, username):
    for method, url, body in [("post", "/api/monitoring/events", {"events": []}), ("get", "/api/monitoring/events/x-1", None)]:
        response = call(api, method, url, body, username)
        assert response.status_code == 401, (username, url, response.content)
        assert response.json()["code"] == "bad_source_key"


@pytest.mark.parametrize("username", ["city_coordinator", "city_executor", "waste_coordinator", "city_operator", "colleague"])
def test_it_hides_an_appeal_outside_the_users_scope_on_every_endpoint(api, world, routed, username):
    before = routed.version
    for method, url, body in staff_calls(routed.number):
        response = call(api, method, url, body, username)
        assert response.status_code == 404, (username, url, response.content)
        assert response.json()["code"] == "not_found"
    listed = api.get("/api/appeals", username).json()
    assert routed.number not in [a["number"] for a in listed["results"]]
    assert api.get("/api/appeals", username, q=routed.number).json()["count"] == 0
    routed.refresh_from_db()
    assert routed.version == before


def test_it_answers_the_same_for_an_unknown_appeal(api, world):
    for method, url, body in staff_calls("2099-999999"):
        response = call(api, method, url, body, "operator")
        assert response.status_code == 404, (url, response.content)


def test_it_shows_the_analyst_everything_but_personal_data_and_lets_them_do_nothing(api, world, routed):
    card = api.get(f"/api/appeals/{routed.number}", "analyst")
    assert card.status_code == 200
    listed = api.get("/api/appeals", "analyst")
    assert routed.number in [a["number"] for a in listed.json()["results"]]
    for response in (card, listed):
        for value in PD:
            assert value not in response.content.decode(), value
    assert card.json()["resident"] is None and card.json()["personal_data_visible"] is False
    assert "[телефон]" in card.json()["text"]
    assert card.json()["available_actions"] == []
    assert not Event.objects.filter(appeal=routed, kind="personal_data_viewed", actor=world.analyst).exists()
    for method, url, body in staff_calls(routed.number)[2:]:
        response = call(api, method, url, body, "analyst")
        assert response.status_code == 403, (url, response.content)
        assert response.json()["code"] == "access_denied"


def test_it_shows_personal_data_to_the_organisation_and_records_the_view(api, world, routed):
    card = api.card(routed.number, "coordinator")
    assert card["resident"] == {"name": "Иван Петров", "phone": "+7 900 000-00-00", "email": "ivan@example.org", "account_link": ""}
    assert "+7 900 111-22-33" in card["text"]
    api.card(routed.number, "coordinator")
    views = Event.objects.filter(appeal=routed, kind="personal_data_viewed", actor=world.coordinator)
    assert views.count() == 1  # once per quiet period, not on every read


@pytest.mark.parametrize("username", ["outsider", "resident"])
def test_it_refuses_staff_endpoints_to_non_staff(api, world, routed, username):
    for method, url, body in [*staff_calls(routed.number), ("get", "/api/appeals", None), ("get", "/api/organisations", None)]:
        response = call(api, method, url, body, username)
        assert response.status_code == 403, (username, url, response.content)


def test_it_refuses_staff_and_resident_endpoints_without_credentials(api, world, routed):
    calls = [*staff_calls(routed.number), ("get", "/api/appeals", None), ("get", "/api/organisations", None)]
    calls += [("get", "/api/my/appeals", None), ("get", f"/api/my/appeals/{routed.number}", None)]
    for method, url, body in calls:
        response = call(api, method, url, body, None)
        assert response.status_code == 401, (url, response.content)
        assert response.json()["code"] == "unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_shows_the_executor_only_appeals_assigned_to_them(api, world, routed):
    api.act(routed.number, "assign", "coordinator", {"executor": world.executor.pk})
    assert api.get(f"/api/appeals/{routed.number}", "executor").status_code == 200
    assert api.get(f"/api/appeals/{routed.number}", "colleague").status_code == 404
    assert api.get("/api/appeals", "colleague").json()["count"] == 0


def test_it_hides_a_lead_outside_scope_when_joining(api, world):
    city = api.post("/api/appeals", dict(APPEAL, territory="city", text="Яма в городе")).json()["number"]
    district = api.post("/api/appeals", APPEAL).json()["number"]
    # The municipal operator sees only the city queue: the district appeal does not exist for them.
    response = api.act(city, "join", "city_operator", {"lead": district})
    assert response.status_code == 422
    assert response.json()["fields"] == {"lead": ["Нет обращения с таким номером."]}
    unknown = api.act(city, "join", "city_operator", {"lead": "2099-000001"})
    assert unknown.json() == response.json()


def test_it_forbids_an_action_the_role_does_not_have_on_a_visible_appeal(api, world, routed):
    api.act(routed.number, "assign", "coordinator", {"executor": world.executor.pk})
    for name in ("route", "reject", "publish", "answer-approve", "extension-decision", "reclassify"):
        response = api.act(routed.number, name, "executor", ACTION_BODIES[name])
        assert response.status_code == 403, (name, response.content)
        assert response.json()["code"] == "access_denied"
    assert api.card(routed.number, "executor")["available_actions"] == [
        "interim-answer", "extension-request", "answer", "clarification",
    ]
