"""Shared helpers of the intake tests: a fresh form token as the browser gets it, and images."""

from __future__ import annotations

import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile

TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')


def form_token(client, url: str = "/widget/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    match = TOKEN_RE.search(response.content.decode())
    assert match, "the widget form carries a signed token"
    return match.group(1)


def png_bytes(color: str = "red", size: tuple[int, int] = (24, 16)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def png_upload(name: str = "photo.png", color: str = "red") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(color), content_type="image/png")


def field_errors(html: str, field: str) -> str:
    """The text of the error list rendered next to `field` (empty when there is none)."""
    match = re.search(rf'<ul class="field-errors" id="{field}-err"[^>]*>(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", " ", match.group(1)) if match else ""


def drive_to_published(world, appeal) -> None:
    """Through the real services, as the operator, coordinator and executor would."""
    from tsur.answers import services as answers
    from tsur.appeals import services
    from tsur.appeals.models import Appeal

    services.route_appeal(appeal.pk, world.operator)
    organisation = Appeal.objects.get(pk=appeal.pk).organisation
    coordinator, executor = {
        world.roads_ministry.pk: (world.coordinator, world.executor),
        world.city_admin.pk: (world.city_coordinator, world.city_executor),
    }[organisation.pk]
    services.assign_executor(appeal.pk, coordinator, executor_id=executor.pk)
    answers.prepare_answer(appeal.pk, executor, text="Яма заделана 12.05.2025 подрядной организацией, проверено выездом.")
    answers.approve_answer(appeal.pk, world.operator)
    answers.publish_answer(appeal.pk, world.operator)
