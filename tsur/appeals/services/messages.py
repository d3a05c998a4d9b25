"""A resident writes again about an appeal they already have (a reply in the same e-mail thread)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from tsur.appeals.models import Appeal, Event
from tsur.appeals.services.transitions import log_event
from tsur.core.errors import NotFound

RESIDENT_MESSAGE_EVENT = "resident_message"


def add_resident_message(appeal: Appeal | int, *, text: str, photos: list, source: str, external_id: str = "") -> Event:
    """A resident wrote again about an existing appeal (a reply in the same e-mail thread): the
    text goes to the appeal's log, the photos to its attachments; the status does not change.

    Idempotent on `external_id`: a message processed twice (a worker died before its row was
    marked) is recorded once."""
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    text = (text or "").strip()[: settings.TSUR_MAX_TEXT_CHARS]
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("Обращение не найдено.")
        if external_id:
            known = Event.objects.filter(appeal=locked, kind=RESIDENT_MESSAGE_EVENT, data__external_id=external_id).first()
            if known is not None:
                return known
        for photo in photos:
            photo.save_to(locked)
        return log_event(
            locked,
            RESIDENT_MESSAGE_EVENT,
            label="житель",
            reason=text,
            data={"text": text, "attachments": len(photos), "channel": source, "external_id": external_id},
        )
