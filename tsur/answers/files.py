"""Files attached to answers: photos of the work done and PDF acts, the evidence the federal
rework criteria ask for.

Uploads are checked by their content, never by the name or the declared type, before anything is
written: photos by the same reader as the residents' photos (`tsur.appeals.photos.read_photo`:
disguised files and image bombs refused), PDFs by their structure, and a PDF that carries scripts,
launch actions or embedded files is refused (it would reach residents through our site). The
uploaded file's name is not kept: it can carry personal data; the screens name files by kind.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn, Protocol

from django.conf import settings
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.urls import reverse

from tsur.answers.models import Answer, AnswerAttachment
from tsur.appeals.photos import read_photo
from tsur.core.errors import ValidationFailed

FIELD = "files"
PDF = "application/pdf"
# Names in a PDF's dictionaries that make it act instead of being read (PDF 1.7, 12.6 and 7.11).
_ACTIVE_PDF = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|OpenAction|AA|SubmitForm|ImportData|XFA)\b")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")  # «/J#61vaScript» is «/JavaScript»


class Upload(Protocol):
    """What a view hands over: Django's UploadedFile has these."""

    size: int | None

    def read(self) -> bytes: ...


@dataclass(frozen=True)
class AnswerFile:
    """One checked file, ready to be stored with an answer."""

    content: bytes
    content_type: str
    width: int | None = None
    height: int | None = None

    def save_to(self, answer: Answer) -> AnswerAttachment:
        att = AnswerAttachment(
            answer=answer,
            content_type=self.content_type,
            size=len(self.content),
            sha256=hashlib.sha256(self.content).hexdigest(),
            width=self.width,
            height=self.height,
        )
        att.file.save("file", ContentFile(self.content), save=False)
        att.save()
        return att


@dataclass(frozen=True)
class FileItem:
    """A file as a page lists it (the partial `intake/_answer_files.html` reads these names)."""

    name: str
    size: int
    url: str
    is_image: bool


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message, field_errors={FIELD: [message]})


def read_pdf(content: bytes, *, label: str) -> AnswerFile:
    """A PDF by its structure: the header at the start, the end-of-file marker at the end."""
    if not content.startswith(b"%PDF-") or b"%%EOF" not in content[-2048:]:
        _not_supported(label)
    # Names inside compressed object streams are not seen here; the file is served sandboxed anyway.
    if _ACTIVE_PDF.search(_NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), content)):
        raise _refuse(f"{label}: PDF содержит сценарии или вложенные файлы, такой документ не принимается.")
    return AnswerFile(content=content, content_type=PDF)


def _not_supported(label: str) -> NoReturn:
    raise _refuse(f"{label}: это не фотография JPEG, PNG или WebP и не документ PDF, или файл повреждён.")


def read_answer_file(content: bytes, *, label: str) -> AnswerFile:
    limit = settings.TSUR_MAX_PHOTO_BYTES
    if not content:
        raise _refuse(f"{label}: файл пустой.")
    if len(content) > limit:
        raise _refuse(f"{label}: файл больше {limit // (1024 * 1024)} МБ.")
    if content.startswith(b"%PDF-"):
        return read_pdf(content, label=label)
    photo = read_photo(content, field=FIELD, label=label)  # not an image, or a bomb: refused here
    return AnswerFile(content=photo.content, content_type=photo.content_type, width=photo.width, height=photo.height)


def read_answer_files(files: Sequence[Upload]) -> list[AnswerFile]:
    """Check every uploaded file (all or nothing), before the answer is written."""
    if len(files) > settings.TSUR_MAX_PHOTOS:
        raise _refuse(f"К ответу можно приложить не более {settings.TSUR_MAX_PHOTOS} файлов.")
    limit = settings.TSUR_MAX_PHOTO_BYTES
    checked = []
    for i, f in enumerate(files, start=1):
        label = f"Файл {i}"
        if f.size and f.size > limit:
            raise _refuse(f"{label}: файл больше {limit // (1024 * 1024)} МБ.")
        checked.append(read_answer_file(f.read(), label=label))
    return checked


def display_name(att: AnswerAttachment, position: int) -> str:
    kind = "Фото" if att.is_image else "Документ PDF"
    return f"{kind} {position}"


def items(answer: Answer, url_of) -> list[FileItem]:
    return [
        FileItem(name=display_name(att, i), size=att.size, url=url_of(att), is_image=att.is_image)
        for i, att in enumerate(answer.attachments.all(), start=1)
    ]


def staff_files(answer: Answer, *, number: str) -> list[FileItem]:
    """The answer's files for the workspace card, served by the access-checked staff view."""
    return items(answer, lambda att: reverse("workspace:answer_file", args=[number, att.pk]))


def public_files(answer: Answer | None, *, number: str, key: str) -> list[FileItem]:
    """The files of a published answer for the resident's status page (the private link's key in
    the URL; the view checks it again). A draft's files are never listed."""
    if answer is None or answer.published_at is None:
        return []
    return items(answer, lambda att: reverse("intake:answer_file", args=[number, key, att.pk]))


def file_response(att: AnswerAttachment) -> FileResponse:
    """The stored file, for a view that has checked who may have it."""
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    # A PDF opens in the browser's viewer, cut off from our pages' scripts and cookies.
    response["Content-Security-Policy"] = "sandbox"
    return response
