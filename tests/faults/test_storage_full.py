"""A full attachments disk: the appeal with photos is refused as a whole (507, the precise code in
the API, a Russian message in the widget), a photo already written for it is removed, and once
there is room again the same request goes through. The disk is made full by the filesystem call
itself failing with ENOSPC after writing part of the file, as a real full disk does; the real
tmpfs is in tests/faults/test_intake_faults.py."""

from __future__ import annotations

import datetime as dt
import errno
import os
import time
import uuid

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.intake.helpers import form_token, png_bytes
from tsur.appeals.models import Appeal, Attachment
from tsur.appeals.photos import orphan_files, remove_orphan_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def disk(monkeypatch, settings):
    """The attachments disk: `room` writes succeed, then every write fails half-way with ENOSPC."""
    real_save = FileSystemStorage._save

    class Disk:
        room = 10**6

    def save(self, name, content):
        if Disk.room <= 0:
            path = self.path(name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as fh:  # the part that fitted, as Django leaves it
                fh.write(content.read()[:10])
            raise OSError(errno.ENOSPC, "No space left on device")
        Disk.room -= 1
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    settings.RATELIMIT_ENABLE = False
    return Disk


def files(settings) -> list[str]:
    root = settings.MEDIA_ROOT / "attachments"
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


def two_photos() -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"{n}.png", png_bytes(color), content_type="image/png") for n, color in enumerate(("red", "blue"))]


def test_it_refuses_the_whole_appeal_when_the_second_photo_does_not_fit(client, world, disk, settings):
    disk.room = 1
    key = str(uuid.uuid4())
    data = {"text": "Яма у дома 3 на улице Ленина", "external_id": key}
    response = client.post("/api/appeals/multipart", {**data, "photos": two_photos()})
    assert response.status_code == 507
    body = response.json()
    assert body["code"] == "attachments_storage_full" and "закончилось место" in body["message"]
    assert response["Retry-After"]
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0
    assert files(settings) == []  # the first photo and the half of the second are gone

    disk.room = 10
    again = client.post("/api/appeals/multipart", {**data, "photos": two_photos()})
    assert again.status_code == 201, again.content
    appeal = Appeal.objects.get(number=again.json()["number"])
    assert appeal.attachments.count() == 2 and len(files(settings)) == 2


def test_it_tells_the_resident_in_russian_in_the_widget(client, world, disk, settings):
    disk.room = 0
    token = form_token(client)
    response = client.post("/widget/", {"form_token": token, "text": "Не горят фонари у дома 5", "photos": two_photos()})
    assert response.status_code == 507
    page = response.content.decode()
    assert "закончилось место для вложений" in page and "отправьте обращение без фото" in page
    assert Appeal.objects.count() == 0 and files(settings) == []


def test_it_says_the_storage_is_unavailable_for_other_write_errors(client, world, monkeypatch, settings):
    def refuse(self, name, content):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(FileSystemStorage, "_save", refuse)
    settings.RATELIMIT_ENABLE = False
    response = client.post("/api/appeals/multipart", {"text": "Снег не убран у дома 7", "photos": two_photos()[:1]})
    assert response.status_code == 503 and response.json()["code"] == "attachments_storage_unavailable"
    assert Appeal.objects.count() == 0


def test_it_removes_files_no_row_owns_once_they_are_old(client, world, settings):
    settings.RATELIMIT_ENABLE = False
    response = client.post("/api/appeals/multipart", {"text": "Яма у дома 9", "photos": two_photos()[:1]})
    assert response.status_code == 201
    kept = Attachment.objects.get().file.path
    stray = settings.MEDIA_ROOT / "attachments" / "2026" / "01" / "stray.png"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"left by a killed worker")
    hour_ago = time.time() - 3600
    os.utime(stray, (hour_ago, hour_ago))
    os.utime(kept, (hour_ago, hour_ago))
    fresh = stray.with_name("fresh.png")
    fresh.write_bytes(b"a transaction may still commit its row")

    assert orphan_files(dt.timedelta(minutes=10)) == [stray]
    assert remove_orphan_files(dt.timedelta(minutes=10)) == 1
    assert not stray.exists() and fresh.exists() and os.path.exists(kept)
