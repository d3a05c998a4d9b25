"""A resident writes again about an appeal they already have (a reply in the same e-mail thread, on
the status page or in the cabinet). A message that follows a clarification request answers it
(tsur.appeals.services.clarification asks; this records which question a message answers)."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction

from tsur.appeals.events import AppealChange, appeal_noted
from tsur.appeals.models import Appeal, Event
from tsur.appeals.services.transitions import log_event
from tsur.core.errors import NotFound

RESIDENT_MESSAGE_EVENT = "resident_message"
# The event of a clarification request (the lifecycle transition of the same name), and the key of
# a resident's message's data that names the question (its event id) the message answers.
REQUEST_EVENT = "request_clarification"
ANSWERS_KEY = "clarification"
# The events that open (a question) and answer (a resident's message) a clarification.
QUESTION_KINDS = (REQUEST_EVENT, RESIDENT_MESSAGE_EVENT)


# A resident asked for their private links again (tsur.intake.recovery): audited on each appeal,
# without the contact they typed.
LINK_SENT_EVENT = "status_link_sent"


def record_status_links_sent(appeals: list[Appeal], *, via: str) -> None:
    """One audit event per appeal whose private link was sent again (`via`: "email" or "phone")."""
    for appeal in appeals:
        log_event(appeal, LINK_SENT_EVENT, label="житель", reason="Персональная ссылка отправлена повторно по запросу", data={"via": via})


def open_question(appeal: Appeal | int) -> Event | None:
    """The clarification the resident has not answered yet: the newest question with no message
    of the resident after it (a question asked again supersedes the earlier one)."""
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    last = Event.objects.filter(appeal_id=pk, kind__in=QUESTION_KINDS).order_by("-at", "-pk").first()
    return last if last is not None and last.kind == REQUEST_EVENT else None


def open_question_among(events: Iterable[Event]) -> Event | None:
    """`open_question` over the appeal's events already read (the card reads them all for its
    timeline): the same rule, no query."""
    last = max((e for e in events if e.kind in QUESTION_KINDS), key=lambda e: (e.at, e.pk), default=None)
    return last if last is not None and last.kind == REQUEST_EVENT else None


def add_resident_message(appeal: Appeal | int, *, text: str, photos: list, source: str, external_id: str = "") -> Event:
    """A resident wrote again about an existing appeal (a reply in the same e-mail thread): the
    text goes to the appeal's log, the photos to its attachments; the status does not change. When
    a clarification was requested and not answered yet, the message answers it (recorded in the
    event's data under `clarification`), whichever way it came.

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
        data = {"text": text, "attachments": len(photos), "channel": source, "external_id": external_id}
        question = open_question(locked)
        if question is not None:
            data[ANSWERS_KEY] = question.pk
        event = log_event(locked, RESIDENT_MESSAGE_EVENT, label="житель", reason=text, data=data)
        # Staff hear of it after commit (tsur.escalation makes the signal); no status changed.
        appeal_noted.publish([AppealChange.of(event)])
        return event
