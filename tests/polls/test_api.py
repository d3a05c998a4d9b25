"""Polls in the app API: list, one poll, a code, a vote by code, by a resident's key and by an
invitation, and every refusal structured."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from tsur.accounts.models import ApiToken, Scope
from tsur.core import clock
from tsur.polls import services
from tsur.polls.models import Audience, Ballot
from tsur.polls.senders import read_outbox

from .conftest import NOW, build_poll

T = NOW + dt.timedelta(hours=5)


@pytest.fixture(autouse=True)
def _at_t():
    with clock.at(T):
        yield


def post(url: str, body: dict, key: str | None = None, **headers):
    if key:
        headers["Authorization"] = f"Bearer {key}"
    return Client().post(url, json.dumps(body), content_type="application/json", headers=headers)


def body(poll, territory="village", **extra) -> dict:
    q = list(poll.questions.order_by("order"))
    return {
        "territory": territory,
        "answers": [
            {"question": q[0].pk, "option": q[0].options.first().pk},
            {"question": q[1].pk, "options": [o.pk for o in q[1].options.all()[:2]]},
            {"question": q[2].pk, "value": 3},
            {"question": q[3].pk, "text": "Фонари во дворе"},
        ],
        **extra,
    }


def resident_key(world, scopes=(Scope.RESIDENT,)) -> str:
    return ApiToken.issue(world.resident, "приложение", scopes=list(scopes))[1]


def test_it_lists_open_polls_by_territory(client, poll, world):
    rows = client.get("/api/polls", {"territory": "village"}).json()
    assert [r["token"] for r in rows] == [poll.token]
    assert rows[0]["url"].endswith(f"/polls/{poll.token}/") and rows[0]["verification"] == "account_or_code"
    assert client.get("/api/polls", {"territory": "city"}).json() == []
    bad = client.get("/api/polls", {"territory": "nowhere"})
    assert bad.status_code == 422 and bad.json()["fields"] == {"territory": ["Неизвестный код территории."]}


def test_it_gives_a_poll_with_its_questions_and_territories(client, poll):
    data = client.get(f"/api/polls/{poll.token}").json()
    assert data["open"] is True and data["closed_reason"] == ""
    assert [q["kind"] for q in data["questions"]] == ["single", "multiple", "scale", "text"]
    assert data["questions"][2]["scale_min"] == 1 and data["questions"][2]["scale_max"] == 5
    assert {t["code"] for t in data["territories"]} == {"district", "village"}
    assert client.get("/api/polls/nope").json() == {"code": "poll_not_found", "message": "Опрос не найден."}


def test_a_resident_votes_with_a_code_and_the_second_vote_is_a_conflict(poll, world):
    sent = post(f"/api/polls/{poll.token}/code", {"contact": "ivan@example.org"})
    assert sent.status_code == 202 and sent.json() == {"sent_to": "i***@example.org", "expires_in_seconds": 600}
    code = read_outbox()[-1]["code"]
    voted = post(f"/api/polls/{poll.token}/votes", body(poll, contact="ivan@example.org", code=code))
    assert voted.status_code == 201 and voted.json()["accepted"] is True
    assert voted.json()["results"]["ballots"] == 1
    ballot = Ballot.objects.get()
    assert ballot.channel == "app" and ballot.territory == world.village
    again = post(f"/api/polls/{poll.token}/votes", body(poll, contact="ivan@example.org", code=code))
    assert again.status_code == 422 and again.json()["code"] == "code_used"
    with clock.at(T + dt.timedelta(minutes=2)):
        resend = post(f"/api/polls/{poll.token}/code", {"contact": "IVAN@example.org"})
    assert resend.status_code == 409
    assert resend.json() == {"code": "already_voted", "message": "Вы уже проголосовали в этом опросе."}


def test_a_resident_votes_with_the_apps_key(poll, world):
    key = resident_key(world)
    assert post(f"/api/polls/{poll.token}/votes", body(poll), key).status_code == 201
    again = post(f"/api/polls/{poll.token}/votes", body(poll), key)
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    wrong_scope = ApiToken.issue(world.other_resident, "ключ", scopes=[Scope.INTAKE])[1]
    refused = post(f"/api/polls/{poll.token}/votes", body(poll), wrong_scope)
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    staff = ApiToken.issue(world.operator, "оператор", scopes=[Scope.RESIDENT])[1]
    refused = post(f"/api/polls/{poll.token}/votes", body(poll), staff)
    assert refused.status_code == 403 and refused.json()["code"] == "staff_account"
    assert Ballot.objects.count() == 1


def test_an_anonymous_vote_without_any_verification_is_refused(poll):
    resp = post(f"/api/polls/{poll.token}/votes", body(poll))
    assert resp.status_code == 403 and resp.json()["code"] == "verification_required"


def test_refusals_are_structured(poll, world):
    key = resident_key(world)
    q = list(poll.questions.order_by("order"))
    outside = post(f"/api/polls/{poll.token}/votes", body(poll, territory="city"), key)
    assert outside.status_code == 422 and outside.json()["code"] == "outside_territory"
    unknown = post(f"/api/polls/{poll.token}/votes", body(poll, territory="nowhere"), key)
    assert unknown.status_code == 422 and unknown.json()["fields"] == {"territory": ["Неизвестный код территории."]}
    bad = body(poll)
    bad["answers"][2]["value"] = 9
    bad["answers"][0]["option"] = q[1].options.first().pk
    resp = post(f"/api/polls/{poll.token}/votes", bad, key)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_answers"
    assert resp.json()["fields"] == {
        f"q{q[0].pk}": ["Выберите один из предложенных вариантов."],
        f"q{q[2].pk}": ["Оценка — целое число от 1 до 5."],
    }
    two = body(poll)
    two["answers"][0]["value"] = 2
    assert post(f"/api/polls/{poll.token}/votes", two, key).status_code == 422
    long_text = body(poll)
    long_text["answers"][3]["text"] = "я" * 2001
    resp = post(f"/api/polls/{poll.token}/votes", long_text, key)
    assert resp.status_code == 422 and resp.json()["code"] == "validation_failed"
    wrong_code = post(f"/api/polls/{poll.token}/votes", body(poll, contact="+79001234567", code="123456"))
    assert wrong_code.status_code == 422 and wrong_code.json()["code"] == "code_missing"
    bad_contact = post(f"/api/polls/{poll.token}/code", {"contact": "8 800"})
    assert bad_contact.status_code == 422 and bad_contact.json()["fields"] == {"contact": ["Неверный номер телефона."]}
    assert not Ballot.objects.exists()


def test_votes_after_the_end_are_refused(poll, world):
    with clock.at(poll.ends_at + dt.timedelta(seconds=1)):
        resp = post(f"/api/polls/{poll.token}/votes", body(poll), resident_key(world))
        assert Client().get(f"/api/polls/{poll.token}").json()["open"] is False
    assert resp.status_code == 409 and resp.json()["code"] == "poll_ended"
    assert "24 марта 2027 г. 12:00" in resp.json()["message"]


def test_an_invitation_votes_through_the_api(world):
    from tests.factories import new_appeal

    poll = build_poll(world, audience=Audience.INVITED)
    with clock.at(NOW):
        services.publish_poll(poll, world.operator)
    _, token = services.create_invitation(poll, new_appeal(world))
    assert post(f"/api/polls/{poll.token}/votes", body(poll, invitation=token)).status_code == 201
    assert Ballot.objects.get().channel == "followup"
    again = post(f"/api/polls/{poll.token}/votes", body(poll, invitation=token))
    assert again.status_code == 422 and again.json()["code"] == "invitation_used"


def test_many_votes_from_one_device_are_throttled(poll, world, settings, still_rate_clock):
    settings.TSUR_RATE_POLL_VOTE_DEVICE = ["1/h"]
    first = post(f"/api/polls/{poll.token}/votes", body(poll), resident_key(world), **{"X-Device-Id": "phone-1"})
    assert first.status_code == 201
    other = ApiToken.issue(world.other_resident, "приложение", scopes=[Scope.RESIDENT])[1]
    second = post(f"/api/polls/{poll.token}/votes", body(poll), other, **{"X-Device-Id": "phone-1"})
    assert second.status_code == 429 and second.json()["code"] == "throttled" and second["Retry-After"]
