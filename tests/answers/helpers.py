"""Appeals at the answer steps, through the real services; files as an executor would upload."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import new_appeal
from tsur.answers import services as answers
from tsur.appeals import services

CLEAN = "Яма заделана 12.05.2025 подрядной организацией, участок проверен выездом инженера и принят по акту."
FLAGGED = "Информация принята к сведению. Ваше обращение будет рассмотрено по мере финансирования."


def in_progress(w, **kw):
    a = new_appeal(w, **kw)
    services.route_appeal(a, w.operator)
    services.assign_executor(a, w.coordinator, executor_id=w.executor.pk)
    return a


def prepared(w, text: str = CLEAN, **kw):
    a = in_progress(w)
    answers.prepare_answer(a, w.executor, text=text, **kw)
    a.refresh_from_db()
    return a


def png_bytes(size: tuple[int, int] = (24, 16)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, "green").save(buf, format="PNG")
    return buf.getvalue()


def pdf_bytes(body: bytes = b"") -> bytes:
    """A minimal well-formed PDF (one empty page); `body` goes into the catalogue."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + body + b" >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
        b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)
