"""The event API: bulk submission with a source's own key, the structured answers, fair share
between sources, the raw payload kept byte for byte, and the source's own events read back."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import pytest
from django.test import Client

from tests.monitoring.conftest import NOW, example
from tsur.core import clock
from tsur.monitoring.models import EventVersion, MonitoringEvent, Reject

URL = "/api/monitoring/events"


def post(body, key: str | None, *, ctype: str = "application/json"):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body, ensure_ascii=False)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with clock.at(NOW):
        return Client().post(URL, data, content_type=ctype, headers=headers)


def cards(n: int, start: int = 0) -> list[dict]:
    items = []
    for i in range(start, start + n):
        card = example("kaluga-112")
        card["card_id"] = f"112-40-2026-{i:06d}"
        items.append(card)
    return items


def test_it_accepts_a_list_and_an_object_with_events(keys):
    response = post(cards(3), keys.call112)
    assert response.status_code == 200
    assert response.json() == {"accepted": 3, "updated": 0, "late": 0, "duplicates": 0, "rejected": []}
    response = post({"source": "ignored", "events": cards(2, start=3)}, keys.call112)
    assert response.status_code == 200 and response.json()["accepted"] == 2
    assert MonitoringEvent.objects.count() == 5


def test_the_same_batch_again_changes_nothing(keys):
    assert post(cards(4), keys.call112).json()["accepted"] == 4
    again = post(cards(4), keys.call112)
    assert again.status_code == 200 and again.json() == {"accepted": 0, "updated": 0, "late": 0, "duplicates": 4, "rejected": []}
    assert EventVersion.objects.count() == 4


def test_it_keeps_each_items_text_byte_for_byte(keys):
    escaped = "".join(f"\\u{ord(c):04x}" for c in "ТЕПЛОСНАБЖЕНИЕ")  # the kind as \\uXXXX escapes: kept so, not decoded
    first = '{ "card_id":"112-raw-1",  "incident_type":"' + escaped + '", "reg_time":"2026-12-05T07:42:10+03:00","lat":54.53,"lon":36.24 }'
    second = '{"card_id": "112-raw-2", "incident_type": "ДТП", "reg_time": 1796449330, "extra": [1.50, 2e3, null]}'
    body = f"[\n  {first} ,\n\t{second}\n]"
    response = post(body.encode(), keys.call112)
    assert response.status_code == 200 and response.json()["accepted"] == 2
    payloads = dict(EventVersion.objects.values_list("event__external_id", "payload"))
    assert payloads == {"112-raw-1": first, "112-raw-2": second}


def test_all_rejected_is_422_with_the_reasons(keys):
    bad = example("kaluga-112")
    bad["reg_time"] = "вчера"
    response = post([bad, 17], keys.call112)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "all_rejected" and body["message"]
    assert [(r["index"], r["code"], r["field"]) for r in body["rejected"]] == [(0, "bad_time", "reg_time"), (1, "malformed", "")]
    assert body["rejected"][0]["external_id"] == bad["card_id"]
    assert MonitoringEvent.objects.count() == 0
    assert sorted(Reject.objects.values_list("code", flat=True)) == ["bad_time", "malformed"]


def test_some_rejected_is_200_and_the_good_ones_are_stored(keys):
    future = cards(1, start=9)[0]
    future["reg_time"] = "2026-12-05T12:30:00+03:00"  # half an hour after now: beyond the clocks' skew
    response = post([*cards(2), future], keys.call112)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 2
    assert body["rejected"] == [
        {"index": 2, "external_id": future["card_id"], "code": "future", "field": "reg_time", "message": body["rejected"][0]["message"]}
    ]
    assert "будущем" in body["rejected"][0]["message"]


@pytest.mark.parametrize("key", [None, "tsm_never_issued_key_xxxxxxxxxxxxxxxx", "Basic dXNlcjpwYXNz"])
def test_a_missing_or_unknown_key_is_401(keys, key):
    headers = {"Authorization": key} if key and key.startswith("Basic") else ({"Authorization": f"Bearer {key}"} if key else {})
    with clock.at(NOW):
        response = Client().post(URL, json.dumps(cards(1)), content_type="application/json", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "bad_source_key"
    assert MonitoringEvent.objects.count() == 0


def test_a_replaced_key_stops_working(sources, keys):
    from tsur.monitoring.keys import issue_key

    new = issue_key(sources.call112)
    assert post(cards(1), keys.call112).status_code == 401
    assert post(cards(1), new).status_code == 200


def test_a_switched_off_source_is_403(sources, keys):
    sources.call112.is_active = False
    sources.call112.save()
    response = post(cards(1), keys.call112)
    assert response.status_code == 403 and response.json()["code"] == "source_inactive"


def test_a_batch_over_the_sources_limit_is_413_and_stores_nothing(sources, keys):
    sources.call112.max_batch = 3
    sources.call112.save()
    response = post(cards(4), keys.call112)
    assert response.status_code == 413 and response.json()["code"] == "batch_too_large"
    assert MonitoringEvent.objects.count() == 0 and Reject.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "ctype", "status", "code"),
    [
        (b'[{"card_id": 1', "application/json", 400, "bad_request"),
        (b'[{"card_id": "1"}] trailing', "application/json", 400, "bad_request"),
        (b'{"cards": []}', "application/json", 400, "bad_request"),
        (b'"text"', "application/json", 400, "bad_request"),
        (b"\xff\xfe[]", "application/json", 400, "bad_request"),
        (b"[]", "application/json", 422, "empty_batch"),
        (b'[{"card_id": "1"}]', "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_a_body_that_is_not_a_list_of_events_is_refused(keys, body, ctype, status, code):
    response = post(body, keys.call112, ctype=ctype)
    assert response.status_code == status and response.json()["code"] == code
    assert response.json()["message"]
    assert MonitoringEvent.objects.count() == 0


def test_a_flood_from_one_source_is_throttled_for_it_alone(sources, keys):
    sources.call112.rate_per_minute = 10
    sources.call112.save()
    sources.camera.rate_per_minute = 10
    sources.camera.save()
    assert post(cards(8), keys.call112).status_code == 200
    flood = post(cards(5, start=100), keys.call112)
    assert flood.status_code == 429 and flood.json()["code"] == "throttled"
    assert 1 <= int(flood["Retry-After"]) <= 61
    assert post(cards(2, start=200), keys.call112).status_code == 200  # the refused batch took nothing of the budget
    assert post(cards(1, start=300), keys.call112).status_code == 429
    detections = []
    for i in range(10):
        item = example("kaluga-safe-city")
        item["detection_id"] = f"SC-{i}"
        detections.append(item)
    other = post(detections, keys.camera)
    assert other.status_code == 200 and other.json()["accepted"] == 10
    assert MonitoringEvent.objects.filter(source=sources.call112).count() == 10


def test_the_budget_renews_the_next_minute(sources, keys):
    sources.call112.rate_per_minute = 3
    sources.call112.save()
    assert post(cards(3), keys.call112).status_code == 200
    assert post(cards(1, start=10), keys.call112).status_code == 429
    with clock.at(NOW + dt.timedelta(minutes=1)):
        response = Client().post(
            URL, json.dumps(cards(1, start=10)), content_type="application/json", headers={"Authorization": f"Bearer {keys.call112}"}
        )
    assert response.status_code == 200


def test_a_source_reads_back_its_own_event_with_its_versions(keys):
    card = example("kaluga-112")
    post([card], keys.call112)
    closed = dict(card, card_status="ЗАКРЫТА", upd_time="2026-12-05T10:00:00+03:00", close_time="2026-12-05T10:00:00+03:00")
    assert post([closed], keys.call112).json()["updated"] == 1
    with clock.at(NOW):
        response = Client().get(f"{URL}/{card['card_id']}", headers={"Authorization": f"Bearer {keys.call112}"})
    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["state_name"], body["version"], body["kind"]) == ("resolved", "устранено", 2, "call112-heating")
    assert body["territory"] == "kaluga" and body["cell"]
    assert [(v["version"], v["state"], v["applied"]) for v in body["versions"]] == [(1, "active", True), (2, "resolved", True)]
    assert json.loads(body["versions"][1]["payload"]) == closed
    other = Client().get(f"{URL}/{card['card_id']}", headers={"Authorization": f"Bearer {keys.camera}"})
    assert other.status_code == 404 and other.json()["code"] == "not_found"
    assert Client().get(f"{URL}/{card['card_id']}").status_code == 401


def test_a_source_with_a_broken_mapping_is_409(sources, keys):
    sources.call112.mapping = {"fields": {"occurred_at": "reg_time"}}
    sources.call112.save()
    response = post(cards(1), keys.call112)
    assert response.status_code == 409 and response.json()["code"] == "source_misconfigured"
    assert MonitoringEvent.objects.count() == 0


def test_the_openapi_document_lists_the_endpoints(client):
    schema = client.get("/api/openapi.json").json()
    post_op = schema["paths"]["/api/monitoring/events"]["post"]
    assert {"200", "401", "403", "413", "415", "422", "429"} <= set(post_op["responses"])
    assert post_op["summary"] == "Передать события источника (пакетом)"
    assert "oneOf" in post_op["requestBody"]["content"]["application/json"]["schema"]
    get_op = schema["paths"]["/api/monitoring/events/{external_id}"]["get"]
    assert {"200", "401", "404"} <= set(get_op["responses"])
    assert "SourceKey" in schema["components"]["securitySchemes"]


def test_an_external_id_with_slashes_and_cyrillic_is_read_back(keys):
    case = example("kaluga-gzhi")
    case["case"]["number"] = "ГЖИ/40/2026 №12"
    assert post([case], keys.gzhi).json()["accepted"] == 1
    with clock.at(NOW):
        response = Client().get(f"{URL}/{quote(case['case']['number'])}", headers={"Authorization": f"Bearer {keys.gzhi}"})
    assert response.status_code == 200 and response.json()["external_id"] == "ГЖИ/40/2026 №12"
    assert response.json()["territory"] == "kaluga"
