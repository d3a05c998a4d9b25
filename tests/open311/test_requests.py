"""POST and GET service requests as an Open311 client does, in JSON and XML."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.factories import Channel, new_appeal
from tests.open311.conftest import BASE, PERSONAL, REPORT, as_json, as_xml, post_report, xml_rows
from tsur.answers import services as answers
from tsur.appeals import services
from tsur.appeals.models import Appeal
from tsur.appeals.photos import read_photos

REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]


def test_it_creates_a_request_with_an_api_key(client, world, api_key):
    response = post_report(client, api_key)
    assert response.status_code == 200
    [created] = as_json(response)
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["account_id"] is None and created["service_request_id"] in created["service_notice"]
    appeal = Appeal.objects.get(number=created["service_request_id"])
    assert appeal.channel == Channel.OPEN311 and appeal.category == world.pothole
    assert appeal.territory == world.district and appeal.address == REPORT["address_string"]
    assert (appeal.lat, appeal.lon) == (53.5, 35.5)
    r = appeal.resident
    assert (r.name, r.email, r.phone, r.user) == ("Мария Сидорова", "maria@example.org", "8 (912) 345-67-89", None)


def test_the_notice_names_the_deadline_set_at_creation_without_reading_the_appeal_again(client, world, api_key, settings, monkeypatch):
    """As in production: the follow-up comes after the answer, so the appeal is not read back."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tsur.core import tasks

    settings.TSUR_TASKS_INLINE = False
    monkeypatch.setattr(tasks, "enqueue_ids", lambda *args, **kwargs: None)  # the follow-ups are not this test's
    with CaptureQueriesContext(connection) as queries:
        [created] = as_json(post_report(client, api_key))
    appeal = Appeal.objects.get(number=created["service_request_id"])
    assert f"Срок ответа: до {timezone.localtime(appeal.due_at):%d.%m.%Y %H:%M}." in created["service_notice"]
    assert not [q for q in queries.captured_queries if q["sql"].startswith('SELECT "appeals_appeal"."id"')]


def test_it_answers_in_xml_too(client, world, api_key):
    root = as_xml(post_report(client, api_key, fmt="xml"))
    assert root.tag == "service_requests"
    [row] = xml_rows(root, "request")
    assert set(row) == {"service_request_id", "service_notice", "account_id"} and row["account_id"] == ""
    assert Appeal.objects.filter(number=row["service_request_id"]).exists()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_it_refuses_a_request_without_a_valid_api_key(client, world, fmt):
    for key in (None, "wrong-key"):
        response = post_report(client, key, fmt=fmt)
        assert response.status_code == 403
        if fmt == "json":
            assert as_json(response) == [{"code": 403, "description": "Неверный или отсутствующий api_key."}]
        else:
            root = as_xml(response)
            assert root.tag == "errors" and xml_rows(root, "error") == [
                {"code": "403", "description": "Неверный или отсутствующий api_key."}
            ]
    assert Appeal.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "status", "needle"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "nope"}, 404, "nope"),
        ({"lat": None, "long": None, "address_string": None}, 400, "lat и long"),
        ({"lat": "north"}, 400, "lat"),
        ({"lat": "10", "long": "10"}, 400, "за пределами региона"),
    ],
)
def test_it_reports_bad_requests_in_the_spec_format(client, world, api_key, overrides, status, needle):
    response = post_report(client, api_key, **overrides)
    assert response.status_code == status
    errors = as_json(response)
    assert all(e["code"] == status for e in errors) and needle in " ".join(e["description"] for e in errors)
    assert Appeal.objects.count() == 0


def test_it_accepts_an_address_without_coordinates_and_no_description(client, world, api_key):
    response = post_report(client, api_key, lat=None, long=None, description=None, media_url="https://example.org/p.jpg")
    appeal = Appeal.objects.get(number=as_json(response)[0]["service_request_id"])
    assert appeal.text == "Ямы на дороге\n\nФото: https://example.org/p.jpg" and appeal.lat is None


def test_it_links_a_resident_key_to_the_resident(client, world):
    from tsur.accounts.models import ApiToken

    _t, raw = ApiToken.issue(world.resident, "app")
    number = as_json(post_report(client, raw))[0]["service_request_id"]
    assert Appeal.objects.get(number=number).resident.user == world.resident


def test_it_shows_one_request_with_every_spec_field(client, world, api_key):
    number = as_json(post_report(client, api_key))[0]["service_request_id"]
    appeal = Appeal.objects.get(number=number)
    services.route_appeal(appeal.pk, world.operator)
    [row] = as_json(client.get(f"{BASE}/requests/{number}.json"))
    assert list(row) == REQUEST_FIELDS
    appeal.refresh_from_db()
    assert row["service_request_id"] == number and row["status"] == "open"
    assert row["status_notes"] == "Направлено в организацию" and row["agency_responsible"] == "Миндор"
    assert row["service_code"] == "pothole" and row["service_name"] == "Ямы на дороге"
    assert row["requested_datetime"] == timezone.localtime(appeal.received_at).isoformat(timespec="seconds")
    assert row["expected_datetime"] == timezone.localtime(appeal.due_at).isoformat(timespec="seconds")
    assert row["requested_datetime"].endswith("+03:00")
    assert (row["lat"], row["long"], row["address"]) == (53.5, 35.5, REPORT["address_string"])
    assert row["service_notice"] and row["media_url"] == ""
    [xrow] = xml_rows(as_xml(client.get(f"{BASE}/requests/{number}.xml")), "request")
    assert list(xrow) == REQUEST_FIELDS and xrow["lat"] == "53.5" and xrow["long"] == "35.5"


def test_it_answers_404_for_an_unknown_request(client, world):
    response = client.get(f"{BASE}/requests/2099-000001.json")
    assert response.status_code == 404 and as_json(response)[0]["code"] == 404
    root = as_xml(client.get(f"{BASE}/requests/2099-000001.xml"))
    assert root.find("error").findtext("code") == "404"


def test_it_never_shows_personal_data_in_any_read(client, world, api_key):
    number = as_json(post_report(client, api_key))[0]["service_request_id"]
    services.route_appeal(Appeal.objects.get(number=number).pk, world.operator)  # moderated: now public
    reads = [
        client.get(f"{BASE}/requests.{fmt}", params)
        for fmt in ("json", "xml")
        for params in ({}, {"service_request_id": number}, {"service_code": "pothole", "status": "open"})
    ]
    reads += [client.get(f"{BASE}/requests/{number}.{fmt}") for fmt in ("json", "xml")]
    reads += [client.get(f"{BASE}/services.{fmt}") for fmt in ("json", "xml")]
    for response in reads:
        assert response.status_code == 200
        text = response.content.decode()
        for value in PERSONAL:
            assert value not in text, (value, text)
        for field in ("account_id", "account_link", "first_name", "last_name", '"email"', "<email>", '"phone"', "<phone>"):
            assert field not in text, field
    [row] = as_json(client.get(f"{BASE}/requests/{number}.json"))
    assert row["description"] == "Яма на дороге, звоните [телефон] или пишите [email]"


def test_it_shows_the_first_photo_as_media_url(client, world):
    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, "PNG")
    photos = read_photos([SimpleUploadedFile("a.png", buf.getvalue())])
    appeal = new_appeal(world, photos=photos)
    response = client.get(f"{BASE}/requests/{appeal.number}.json")
    assert response.status_code == 404  # neither the appeal nor its photo before moderation
    services.route_appeal(appeal.pk, world.operator)
    [row] = as_json(client.get(f"{BASE}/requests/{appeal.number}.json"))
    att = appeal.attachments.get()
    assert row["media_url"].startswith(f"http://testserver/attachments/{att.pk}/?sig=")
    assert client.get(row["media_url"].removeprefix("http://testserver"))["Content-Type"] == "image/png"


# --- filters --------------------------------------------------------------------------------------


@pytest.fixture
def several(world) -> dict[str, Appeal]:
    """A few appeals in different states and categories, received on different days."""
    now = timezone.now()
    a = {
        "open": new_appeal(world, received_at=now - dt.timedelta(days=1)),
        "garbage": new_appeal(world, category_code="garbage", text="Мусор не вывозят неделю", received_at=now - dt.timedelta(days=10)),
        "rejected": new_appeal(world, text="Дорога не моя", received_at=now - dt.timedelta(days=2)),
        "spam": new_appeal(world, text="Купите рекламу", received_at=now - dt.timedelta(days=3)),
        "letter": new_appeal(world, channel=Channel.EMAIL, text="Письмо по 59-ФЗ о дороге", received_at=now - dt.timedelta(days=4)),
        "old": new_appeal(world, text="Старая яма", received_at=now - dt.timedelta(days=200)),
        "member": new_appeal(world, text="Та же яма, что вчера", received_at=now - dt.timedelta(hours=5)),
        # Nobody has moderated it yet: never public, whatever the filters.
        "unmoderated": new_appeal(world, text="Ещё не прочитано", received_at=now - dt.timedelta(hours=6)),
    }
    for key in ("open", "garbage", "letter", "old"):
        services.route_appeal(a[key].pk, world.operator)
    services.reject_appeal(a["rejected"].pk, world.operator, reason_code="not_competence")
    services.reject_appeal(a["spam"].pk, world.operator, reason_code="spam")
    services.join_to_problem(a["member"].pk, world.operator, lead_number=a["open"].number)
    return {k: Appeal.objects.get(pk=v.pk) for k, v in a.items()}


def ids(client, **params) -> list[str]:
    response = client.get(f"{BASE}/requests.json", params)
    assert response.status_code == 200, response.content
    return [r["service_request_id"] for r in as_json(response)]


def test_it_lists_recent_public_requests_newest_first(client, world, several):
    s = several
    assert ids(client) == [s["member"].number, s["open"].number, s["rejected"].number, s["garbage"].number]


def test_it_filters_by_request_ids_overriding_everything_else(client, world, several):
    s = several
    wanted = f"{s['old'].number},{s['garbage'].number},{s['spam'].number},2099-000001"
    assert ids(client, service_request_id=wanted, status="open", service_code="snow") == [s["garbage"].number, s["old"].number]


def test_it_filters_by_service_code(client, world, several):
    s = several
    assert ids(client, service_code="garbage") == [s["garbage"].number]
    assert ids(client, service_code="garbage,pothole") == [
        s["member"].number, s["open"].number, s["rejected"].number, s["garbage"].number,
    ]
    assert ids(client, service_code="nope") == []


def test_it_filters_by_status_and_joined_follow_their_problem(client, world, several):
    s = several
    assert ids(client, status="closed") == [s["rejected"].number]
    assert ids(client, status="open") == [s["member"].number, s["open"].number, s["garbage"].number]
    [member] = as_json(client.get(f"{BASE}/requests/{s['member'].number}.json"))
    assert member["status"] == "open" and s["open"].number in member["status_notes"]
    [rejected] = as_json(client.get(f"{BASE}/requests/{s['rejected'].number}.json"))
    assert rejected["status_notes"] == "Отклонено: Не относится к компетенции органов власти региона"

    lead = s["open"]
    services.accept_appeal(lead.pk, world.coordinator)
    answers.prepare_answer(lead.pk, world.coordinator, text="Яма заделана 12.05.2025, работы выполнены.")
    answers.approve_answer(lead.pk, world.operator)
    answers.publish_answer(lead.pk, world.operator)
    answers.rate_appeal(lead.pk, None, score=5)
    assert ids(client, status="closed") == [lead.number, s["rejected"].number]  # the member is published, not closed
    answers.rate_appeal(s["member"].pk, None, score=5)
    assert ids(client, status="closed") == [s["member"].number, lead.number, s["rejected"].number]
    assert ids(client, status="open,closed") == ids(client)
    response = client.get(f"{BASE}/requests.json", {"status": "pending"})
    assert response.status_code == 400


def test_it_filters_by_dates(client, world, several):
    s = several
    now = timezone.localtime()
    start = (now - dt.timedelta(days=12)).isoformat(timespec="seconds")
    end = (now - dt.timedelta(days=2, hours=1)).isoformat(timespec="seconds")
    assert ids(client, start_date=start, end_date=end) == [s["garbage"].number]
    utc = (now - dt.timedelta(days=1, hours=2)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(client, start_date=utc) == [s["member"].number, s["open"].number]
    old_day = timezone.localtime(s["old"].received_at).date()
    assert ids(client, start_date=(old_day - dt.timedelta(days=1)).isoformat(), end_date=old_day.isoformat() + "T23:59:59") == [
        s["old"].number
    ]
    # An unencoded "+" of the offset arrives as a space and is understood.
    raw = f"{BASE}/requests.json?start_date={start}".replace("%2B", "+")
    assert [r["service_request_id"] for r in as_json(client.get(raw))][-1] == s["garbage"].number


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "yesterday"},
        {"end_date": "2025-13-45T00:00:00Z"},
        {"start_date": "2025-05-01T00:00:00Z", "end_date": "2025-04-01T00:00:00Z"},
        {"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-06-01T00:00:00Z"},
    ],
)
def test_it_answers_400_for_a_bad_date_filter(client, world, params):
    for fmt in ("json", "xml"):
        response = client.get(f"{BASE}/requests.{fmt}", params)
        assert response.status_code == 400
        if fmt == "json":
            [err] = as_json(response)
            assert err["code"] == 400 and err["description"]
        else:
            assert as_xml(response).find("error").findtext("code") == "400"


def test_it_encodes_the_query_plus_sign_correctly(client, world, several):
    start = quote((timezone.localtime() - dt.timedelta(days=12)).isoformat(timespec="seconds"))
    assert several["garbage"].number in [r["service_request_id"] for r in as_json(client.get(f"{BASE}/requests.json?start_date={start}"))]
