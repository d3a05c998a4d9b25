"""Photos residents attach: checked by their content (not the name or the declared type) and size
before anything is written."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile

from tsur.core.errors import ValidationFailed

ALLOWED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000


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
        att.file.save("photo", ContentFile(self.content), save=False)
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
