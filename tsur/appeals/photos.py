"""Photos residents attach: checked by their content (not the name or the declared type) and size
before anything is written; written so that a full or broken attachments disk leaves neither an
appeal without its photos nor a file without its row."""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import io
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from tsur.core.errors import DomainError, ValidationFailed

log = logging.getLogger(__name__)

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000
ATTACHMENTS_DIR = "attachments"  # under MEDIA_ROOT, as tsur.appeals.models.attachment_path writes


class StorageFull(DomainError):
    """The attachments disk has no room: nothing of the appeal is stored, the sender may retry later."""

    code = "attachments_storage_full"
    http_status = 507
    retry_after = 300


class StorageUnavailable(DomainError):
    """The attachments disk refused the write for another reason (read-only, gone, no rights)."""

    code = "attachments_storage_unavailable"
    http_status = 503
    retry_after = 60


NO_ROOM = (
    "Не удалось сохранить фотографии: на сервере закончилось место для вложений. "
    "Обращение не принято и ничего не записано; повторите отправку позже или отправьте обращение без фото."
)
BROKEN = (
    "Не удалось сохранить фотографии: хранилище вложений недоступно. "
    "Обращение не принято и ничего не записано; повторите отправку позже или отправьте обращение без фото."
)

# Files written in a transaction that has not committed yet, per thread (a thread has its own
# database connection): when a later photo of the same appeal cannot be written the whole
# transaction rolls back, and the photos already on disk must go with it.
_uncommitted = threading.local()


@dataclass
class PhotoUpload:
    content: bytes
    content_type: str
    width: int
    height: int

    def save_to(self, appeal) -> None:
        from tsur.appeals.models import Attachment

        att = Attachment(
            appeal=appeal,
            content_type=self.content_type,
            size=len(self.content),
            sha256=hashlib.sha256(self.content).hexdigest(),
            width=self.width,
            height=self.height,
        )
        storage = att.file.storage
        name = att.file.field.generate_filename(att, "photo")  # a random name: nothing to collide with
        written = _written_for(appeal.pk)
        try:
            stored = storage.save(name, ContentFile(self.content))
        except OSError as exc:
            # Django leaves a partly written file behind; it and this appeal's other photos of
            # this transaction are removed, and the error rolls the transaction back.
            for leftover in [name, *written]:
                with contextlib.suppress(OSError):
                    storage.delete(leftover)
            written.clear()
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            log.error("attachment not written: %s (%s)", "disk full" if full else exc.strerror, errno.errorcode.get(exc.errno or 0, "?"))
            raise (StorageFull(NO_ROOM) if full else StorageUnavailable(BROKEN)) from None
        written.append(stored)
        transaction.on_commit(lambda: _committed(appeal.pk, stored))
        att.file.name = stored
        att.save()


def read_photo(content: bytes, *, field: str = "photos", label: str = "Фото") -> PhotoUpload:
    """Validate one uploaded photo; raises ValidationFailed with a Russian message."""
    from PIL import Image, UnidentifiedImageError

    limit = settings.TSUR_MAX_PHOTO_BYTES
    if len(content) == 0:
        raise ValidationFailed(f"{label}: файл пустой.", field_errors={field: [f"{label}: файл пустой."]})
    if len(content) > limit:
        msg = f"{label}: файл больше {limit // (1024 * 1024)} МБ."
        raise ValidationFailed(msg, field_errors={field: [msg]})
    try:
        with Image.open(io.BytesIO(content)) as img:
            fmt = img.format
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise ValidationFailed(f"{label}: слишком большое разрешение.", field_errors={field: ["Слишком большое разрешение."]})
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        msg = f"{label}: это не изображение JPEG, PNG или WebP, или файл повреждён."
        raise ValidationFailed(msg, field_errors={field: [msg]}) from None
    if fmt not in ALLOWED:
        msg = f"{label}: формат {fmt} не поддерживается, пришлите JPEG, PNG или WebP."
        raise ValidationFailed(msg, field_errors={field: [msg]})
    return PhotoUpload(content=content, content_type=ALLOWED[fmt], width=width, height=height)


def read_photos(files: list, *, field: str = "photos") -> list[PhotoUpload]:
    """Validate a list of Django UploadedFile objects (all or nothing)."""
    if len(files) > settings.TSUR_MAX_PHOTOS:
        msg = f"Можно приложить не более {settings.TSUR_MAX_PHOTOS} фотографий."
        raise ValidationFailed(msg, field_errors={field: [msg]})
    photos = []
    for i, f in enumerate(files, start=1):
        if f.size and f.size > settings.TSUR_MAX_PHOTO_BYTES:
            msg = f"Фото {i}: файл больше {settings.TSUR_MAX_PHOTO_BYTES // (1024 * 1024)} МБ."
            raise ValidationFailed(msg, field_errors={field: [msg]})
        photos.append(read_photo(f.read(), field=field, label=f"Фото {i}"))
    return photos


def _written_for(appeal_pk: int) -> list[str]:
    by_appeal = getattr(_uncommitted, "files", None)
    if by_appeal is None or len(by_appeal) > 1000:  # rolled-back transactions leave entries behind
        by_appeal = _uncommitted.files = {}
    return by_appeal.setdefault(appeal_pk, [])


def _committed(appeal_pk: int, name: str) -> None:
    written = getattr(_uncommitted, "files", {}).get(appeal_pk)
    if written and name in written:
        written.remove(name)


def orphan_files(older_than: dt.timedelta, *, now: float | None = None) -> list[Path]:
    """Attachment files with no Attachment row, last written longer ago than `older_than` (younger
    ones may belong to a transaction still running). They are left by a process killed, or a
    database lost, between writing a photo and committing its appeal."""
    from tsur.appeals.models import Attachment

    root = Path(settings.MEDIA_ROOT)
    folder = root / ATTACHMENTS_DIR
    if not folder.is_dir():
        return []
    cutoff = (now if now is not None else time.time()) - older_than.total_seconds()
    on_disk = {p.relative_to(root).as_posix(): p for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime < cutoff}
    known: set[str] = set()
    names = list(on_disk)
    for start in range(0, len(names), 1000):
        known.update(Attachment.objects.filter(file__in=names[start : start + 1000]).values_list("file", flat=True))
    return [path for name, path in sorted(on_disk.items()) if name not in known]


def remove_orphan_files(older_than: dt.timedelta = dt.timedelta(hours=1)) -> int:
    """Delete what orphan_files finds; returns how many. Idempotent, safe to run at any time."""
    removed = 0
    for path in orphan_files(older_than):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    if removed:
        log.warning("attachments: removed %d files that had no attachment row", removed)
    return removed
