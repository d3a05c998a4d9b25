"""Disguised files and image bombs through every upload door — the resident widget, the app API's
multipart intake and the answer files (workspace and API use one reader): each refused with a
Russian error naming the file, nothing stored, nothing on disk; a stored file is served with its
checked type, nosniff and no name of the sender's."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.answers.helpers import pdf_bytes, png_bytes
from tests.factories import build_world
from tsur.answers.files import read_answer_files
from tsur.appeals.models import Appeal, Attachment
from tsur.core.errors import ValidationFailed


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A valid small PNG whose header claims a huge canvas (the pixels would take tens of GB)."""
    raw = bytearray(png_bytes((1, 1)))
    ihdr = raw[12:29]  # type + data of the IHDR chunk
    data = struct.pack(">II", width, height) + bytes(ihdr[12:])
    raw[16:29] = data
    raw[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + data))
    return bytes(raw)


def gif_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("P", (4, 4)).save(buf, format="GIF")
    return buf.getvalue()


BAD = {
    "html named .jpg": ("фото.jpg", b"<!doctype html><html><script>alert(1)</script></html>", "image/jpeg"),
    "svg named .jpg": ("фото.jpg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>', "image/jpeg"),
    "script named .png": ("фото.png", b"<script>document.location='//evil'</script>", "image/png"),
    "pdf with javascript named .jpg": ("фото.jpg", pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "image/jpeg"),
    "program named .jpg": ("фото.jpg", b"MZ\x90\x00" + b"\x00" * 200, "image/jpeg"),
    "image bomb": ("фото.png", png_bomb(), "image/png"),
    "truncated png": ("фото.png", png_bytes((64, 64))[:80], "image/png"),
    "gif": ("фото.gif", gif_bytes(), "image/gif"),
}  # fmt: skip
APPEAL = {"text": "Большая яма на дороге у остановки, машины бьют колёса", "category": "pothole", "territory": "district"}


def _files_on_disk(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def world(db):
    return build_world()


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_api_refuses_it_and_stores_nothing(client, world, settings, kind):
    name, content, ctype = BAD[kind]
    response = client.post("/api/appeals/multipart", dict(APPEAL, photos=[SimpleUploadedFile(name, content, content_type=ctype)]))
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "validation_failed" and "photos" in body["fields"]
    assert re.search("[а-я]", body["fields"]["photos"][0])
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0 and _files_on_disk(settings) == []


@pytest.mark.parametrize("kind", sorted(BAD))
def test_the_widget_refuses_it_and_stores_nothing(client, world, settings, still_rate_clock, kind):
    name, content, ctype = BAD[kind]
    page = client.get("/widget/").content.decode()
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="form_token"', page)
    assert token, "the widget's form carries its token"
    data = dict(APPEAL, form_token=token.group(1) or token.group(2), email="ivan@example.org", consent="on", address="с. Село, ул. Центральная, 1")
    response = client.post("/widget/", dict(data, photos=[SimpleUploadedFile(name, content, content_type=ctype)]))
    assert response.status_code in (400, 422), response.status_code
    assert "Фото 1:" in response.content.decode()  # the refusal names the file, in Russian
    assert Appeal.objects.count() == 0 and Attachment.objects.count() == 0 and _files_on_disk(settings) == []


@pytest.mark.parametrize("kind", sorted(k for k in BAD if k != "gif"))
def test_answer_files_refuse_it(kind):
    name, content, ctype = BAD[kind]
    with pytest.raises(ValidationFailed) as exc:
        read_answer_files([SimpleUploadedFile(name.replace(".jpg", ".pdf") if "pdf" in kind else name, content, content_type=ctype)])
    assert "files" in exc.value.field_errors and re.search("[а-я]", exc.value.message)


def test_a_stored_photo_is_served_with_its_checked_type_and_nosniff(client, world):
    photo = SimpleUploadedFile("<script>.html", png_bytes(), content_type="text/html")  # a lying name and type
    response = client.post("/api/appeals/multipart", dict(APPEAL, photos=[photo]))
    assert response.status_code == 201, response.content
    a = Appeal.objects.get(number=response.json()["number"])
    att = a.attachments.get()
    served = client.get(f"/attachments/{att.pk}/?key={a.access_key}")
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png" and served["X-Content-Type-Options"] == "nosniff"
    assert "script" not in served.get("Content-Disposition", "") and "html" not in att.file.name
