"""Intake through the API: JSON and multipart, idempotency, structured validation errors, photos
checked by content, oversized requests refused before anything is written."""

from __future__ import annotations

import io
import uuid

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.api.conftest import APPEAL
from tsur.appeals.models import Appeal, Attachment, Resident


def jpeg(name: str = "photo.jpg", size: tuple[int, int] = (40, 30)) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def test_it_accepts_an_anonymous_appeal_and_keeps_the_contacts_apart(api, world):
    response = api.post("/api/appeals", APPEAL)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"number", "access_key", "status", "status_label", "status_url", "api_status_url"}
    appeal = Appeal.objects.get(number=body["number"])
    assert appeal.channel == "app" and appeal.category.code == "pothole" and appeal.territory.code == "district"
    assert appeal.resident.name == "Иван Петров" and appeal.resident.user is None
    assert appeal.events.get(kind="created").actor_label == "житель"


def test_it_links_the_appeal_to_a_resident_who_sends_it_with_a_token(api, world):
    world.resident.email = "res@example.org"
    world.resident.save()
    body = api.post("/api/appeals", {"text": "Нет отопления в подъезде", "category": "heating"}, as_user="resident").json()
    resident = Appeal.objects.get(number=body["number"]).resident
    assert resident.user == world.resident and resident.email == "res@example.org" and resident.name == "Resident"
    assert [a["number"] for a in api.get("/api/my/appeals", "resident").json()] == [body["number"]]
    assert api.get("/api/my/appeals", "other_resident").json() == []
    assert api.get(f"/api/my/appeals/{body['number']}", "resident").status_code == 200
    assert api.get(f"/api/my/appeals/{body['number']}", "other_resident").status_code == 404
    assert api.get("/api/my/appeals", "operator").status_code == 403
    assert api.get("/api/my/appeals").status_code == 401


def test_it_is_idempotent_on_the_external_id(api, world):
    key = str(uuid.uuid4())
    first = api.post("/api/appeals", dict(APPEAL, external_id=key))
    again = api.post("/api/appeals", dict(APPEAL, external_id=key))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    assert Appeal.objects.count() == 1


def test_it_keeps_each_integrations_external_ids_apart(api, world):
    mine = api.post("/api/appeals", dict(APPEAL, external_id="42"), as_user="resident")
    theirs = api.post("/api/appeals", dict(APPEAL, external_id="42"), as_user="other_resident")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["number"] != theirs.json()["number"]
    assert mine.json()["access_key"] != theirs.json()["access_key"]


def test_it_refuses_a_guessable_external_id_without_a_key(api, world):
    response = api.post("/api/appeals", dict(APPEAL, external_id="1"))
    assert response.status_code == 422
    assert "external_id" in response.json()["fields"]
    assert Appeal.objects.count() == 0


def test_it_lets_only_operators_claim_other_channels(api, world):
    refused = api.post("/api/appeals", dict(APPEAL, channel="operator"))
    assert refused.status_code == 422 and "channel" in refused.json()["fields"]
    by_operator = api.post("/api/appeals", dict(APPEAL, channel="operator", text="Письмо жителя, принято в приёмной"), as_user="operator")
    assert by_operator.status_code == 201
    appeal = Appeal.objects.get(number=by_operator.json()["number"])
    assert appeal.channel == "operator" and appeal.regime == "appeal"
    assert appeal.events.get(kind="created").actor == world.operator


def test_it_lists_every_bad_field_in_a_structured_422(api, world):
    response = api.post("/api/appeals", {"category": 5, "lat": "north", "lon": 200, "phone": "1" * 40})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed" and body["message"]
    assert body["fields"]["text"] == ["Обязательное поле."]
    assert body["fields"]["category"] == ["Ожидается строка."]
    assert body["fields"]["lat"] == ["Ожидается число."]
    assert body["fields"]["lon"] == ["Значение слишком велико: не больше 180."]
    assert body["fields"]["phone"] == ["Слишком длинное значение: не более 32 знаков."]
    assert {tuple(d["loc"]) for d in body["detail"]} >= {("body", "payload", "text"), ("body", "payload", "lat")}
    assert all("input" not in d for d in body["detail"])
    assert Appeal.objects.count() == 0


def test_it_reports_the_domain_checks_as_fields_too(api, world):
    response = api.post("/api/appeals", {"text": "  ", "category": "nope", "territory": "atlantis", "lat": 10, "lon": 10})
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert set(fields) == {"text", "category", "territory", "location"}
    assert "за пределами региона" in fields["location"][0]


def test_it_refuses_malformed_json(api, world):
    response = api.client.post("/api/appeals", "{not json", content_type="application/json")
    assert response.status_code == 400  # Ninja cannot parse the body: no field to blame, so not a 422
    assert response.json() == {"code": "bad_request", "message": "Тело запроса не разобрано: ожидается корректный JSON."}
    assert Appeal.objects.count() == 0


def test_it_accepts_photos_in_a_multipart_request(api, world):
    data = dict(APPEAL, lat="", lon="", photos=[jpeg(), jpeg("второе фото.jpg", (20, 20))])
    response = api.post_multipart("/api/appeals/multipart", data)
    assert response.status_code == 201, response.content
    appeal = Appeal.objects.get(number=response.json()["number"])
    atts = list(appeal.attachments.order_by("pk"))
    assert [(a.content_type, a.width) for a in atts] == [("image/jpeg", 40), ("image/jpeg", 20)]
    assert all("фото" not in a.file.name for a in atts)  # the resident's file names are not kept
    urls = [a["url"] for a in api.card(appeal.number)["attachments"]]
    assert urls == [f"http://testserver/attachments/{a.pk}/" for a in atts]  # access-checked, not public files


def test_it_rejects_a_text_file_renamed_to_jpg_and_writes_nothing(api, world):
    fake = SimpleUploadedFile("photo.jpg", b"just some text, not an image", content_type="image/jpeg")
    response = api.post_multipart("/api/appeals/multipart", dict(APPEAL, photos=[jpeg(), fake]))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed" and "Фото 2" in body["fields"]["photos"][0]
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0 and Resident.objects.count() == 0


def test_it_rejects_too_many_photos(api, world, settings):
    settings.TSUR_MAX_PHOTOS = 2
    response = api.post_multipart("/api/appeals/multipart", dict(APPEAL, photos=[jpeg(), jpeg(), jpeg()]))
    assert response.status_code == 422 and "photos" in response.json()["fields"]
    assert Appeal.objects.count() == 0


def test_it_refuses_an_oversized_request_before_reading_it(api, world, settings):
    settings.TSUR_MAX_REQUEST_BYTES = 2048
    response = api.post("/api/appeals", dict(APPEAL, text="я" * 3000))
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    response = api.post_multipart("/api/appeals/multipart", dict(APPEAL, photos=[jpeg(size=(400, 400))]))
    assert response.status_code == 413
    assert Appeal.objects.count() == 0


def test_it_refuses_a_revoked_or_unknown_token(api, world):
    response = api.client.post(
        "/api/appeals", APPEAL, content_type="application/json", headers={"Authorization": "Bearer tsur_nonsense"}
    )
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    assert Appeal.objects.count() == 0


def test_a_replay_writes_nothing_new(api, world):
    """No lookup precedes the insert: a replay is caught by the unique (channel, external id),
    and its whole transaction (resident, event, notification) is rolled back."""
    from tsur.appeals.models import Event, Notification

    key = str(uuid.uuid4())
    first = api.post("/api/appeals", dict(APPEAL, external_id=key))
    counts = (Appeal.objects.count(), Resident.objects.count(), Event.objects.count(), Notification.objects.count())
    again = api.post("/api/appeals", dict(APPEAL, external_id=key))
    other = api.post("/api/appeals", dict(APPEAL, external_id=key, text="Другой текст"))
    assert first.status_code == 201 and again.status_code == 200 and other.status_code == 409
    assert again.json() == first.json()
    assert (Appeal.objects.count(), Resident.objects.count(), Event.objects.count(), Notification.objects.count()) == counts
