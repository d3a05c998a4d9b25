"""Two people acting on the same version of an appeal: the first wins, the second is told."""

from __future__ import annotations

import json

from tsur.appeals.models import Appeal


def test_it_refuses_the_second_request_with_the_same_version(api, world, submitted):
    number = submitted["number"]
    seen = api.card(number, "operator")["version"]
    first = api.act(number, "route", "operator", version=seen)
    second = api.act(number, "reject", "operator", {"reason": "spam"}, version=seen)
    assert first.status_code == 200 and first.json()["version"] == seen + 1
    assert second.status_code == 409
    body = second.json()
    assert body["code"] == "concurrent_update" and "другой пользователь" in body["message"]
    appeal = Appeal.objects.get(number=number)
    assert appeal.status == "routed" and appeal.rejection_reason == ""


def test_it_refuses_the_same_action_twice(api, world, submitted):
    number = submitted["number"]
    seen = api.card(number, "operator")["version"]
    assert api.act(number, "route", "operator", version=seen).status_code == 200
    again = api.act(number, "route", "operator", version=seen + 1)
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    assert "Направлено в организацию" in again.json()["message"]


def test_it_requires_the_version(api, world, submitted):
    response = api.client.post(
        f"/api/appeals/{submitted['number']}/route",
        json.dumps({}),
        content_type="application/json",
        headers=api._headers("operator"),
    )
    assert response.status_code == 422 and response.json()["fields"] == {"version": ["Обязательное поле."]}
