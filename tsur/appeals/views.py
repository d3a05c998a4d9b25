"""Attachments are never public files: each request is checked against the appeal's access rules."""

from __future__ import annotations

import hmac

from django.core import signing
from django.http import FileResponse, Http404, HttpRequest

from tsur.appeals import access
from tsur.appeals.models import Attachment, Status

_PUBLIC_SALT = "tsur.attachment.public"
# Photos become public (Open311 media_url) only after the center has moderated the appeal.
_NOT_PUBLIC = {Status.RECEIVED, Status.MODERATION, Status.REJECTED}


def public_token(attachment: Attachment) -> str:
    return signing.Signer(salt=_PUBLIC_SALT).sign(str(attachment.pk)).split(":", 1)[1]


def staff_url(attachment: Attachment) -> str:
    return f"/attachments/{attachment.pk}/"


def resident_url(attachment: Attachment) -> str:
    return f"/attachments/{attachment.pk}/?key={attachment.appeal.access_key}"


def public_url(attachment: Attachment) -> str | None:
    if attachment.appeal.status in _NOT_PUBLIC:
        return None
    return f"/attachments/{attachment.pk}/?sig={public_token(attachment)}"


def attachment(request: HttpRequest, pk: int) -> FileResponse:
    att = Attachment.objects.select_related("appeal").filter(pk=pk).first()
    if att is None:
        raise Http404("Вложение не найдено")
    key, sig = request.GET.get("key", ""), request.GET.get("sig", "")
    allowed = (
        (key and hmac.compare_digest(key, att.appeal.access_key))
        or (sig and hmac.compare_digest(sig, public_token(att)) and att.appeal.status not in _NOT_PUBLIC)
        or (request.user.is_authenticated and access.is_staff_role(request.user) and access.can_view(request.user, att.appeal))
    )
    if not allowed:
        raise Http404("Вложение не найдено")
    response = FileResponse(att.file.open("rb"), content_type=att.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
