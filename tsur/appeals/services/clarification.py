"""A clarification request: the operator or the organisation asks the resident a question; the
resident's next message (on the status page, in the cabinet, or a reply in the channel's thread)
answers it.

The request keeps the status and the clock (lifecycle: `request_clarification`, clock `keep`).
Neither 59-FZ nor the message regime of the ПОС pauses the deadline while the resident is asked
for details: the organisation answers on time with what it has (59-FZ art. 10 lets it ask for
documents, not stop the count), so nothing here touches the due date.

The question is one event (`request_clarification`, the question in its reason); the reply is the
resident's message event (`add_resident_message`), which records the question it answers in its
data (`clarification`). A question is open until a resident's message arrives after it; asking
again while one is open supersedes it (the newest question is the one the resident sees).
"""

from __future__ import annotations

from dataclasses import dataclass

from tsur.appeals.models import Appeal, Event
from tsur.appeals.services.creation import status_url
from tsur.appeals.services.messages import ANSWERS_KEY, REQUEST_EVENT, RESIDENT_MESSAGE_EVENT, open_question, open_question_among
from tsur.appeals.services.notifications import notify_resident
from tsur.appeals.services.transitions import changing
from tsur.core.errors import ValidationFailed

__all__ = [
    "ANSWERS_KEY", "REQUEST_EVENT", "Clarification", "clarifications", "open_question", "open_question_among", "public_text",
    "request_clarification",
]  # fmt: skip

NOTIFICATION_KIND = "clarification"
MAX_QUESTION = 2000
# Where the private link starts in the notification's body: channels publish only what is above
# it (a social thread may be public; the link is the key to the appeal).
LINK_SEPARATOR = "\n\n—\n"


@dataclass(frozen=True)
class Clarification:
    """One question and, once the resident wrote, the message that answers it."""

    question: Event
    reply: Event | None

    @property
    def is_open(self) -> bool:
        return self.reply is None

    @property
    def text(self) -> str:
        return self.question.reason


def request_clarification(appeal: Appeal | int, actor, *, question: str, expected_version: int | None = None) -> Event:
    """Ask the resident a question about their appeal; they are notified through the appeal's
    channel (carriers) or by e-mail, and see it on the status page and in the cabinet."""
    question = (question or "").strip()
    if not question:
        raise ValidationFailed("Напишите вопрос жителю.", field_errors={"question": ["Обязательное поле."]})
    if len(question) > MAX_QUESTION:
        raise ValidationFailed(f"Вопрос слишком длинный (не более {MAX_QUESTION} знаков).", field_errors={"question": ["Слишком длинный."]})
    with changing(appeal, REQUEST_EVENT, actor, expected_version=expected_version) as ch:
        a = ch.appeal
        ch.reason = question
        notify_resident(
            a,
            NOTIFICATION_KIND,
            f"Уточнение по обращению {a.number}",
            f"Чтобы рассмотреть ваше обращение {a.number}, нужно уточнение:\n\n{question}\n\n"
            "Срок рассмотрения обращения при этом не меняется."
            f"{LINK_SEPARATOR}Ответить можно на странице обращения: {status_url(a)}",
        )
    return Event.objects.filter(appeal_id=a.pk, kind=REQUEST_EVENT).order_by("-pk").first()


def public_text(body: str) -> str:
    """The notification's body without the private link, for a channel's (possibly public) thread,
    where the resident answers by replying (their reply becomes the resident's message)."""
    return body.split(LINK_SEPARATOR, 1)[0] + "\n\nОтветьте, пожалуйста, в этой переписке."


def clarifications(appeal: Appeal | int) -> list[Clarification]:
    """Every question asked about the appeal, oldest first, each with its reply (or None)."""
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    events = list(Event.objects.filter(appeal_id=pk, kind__in=(REQUEST_EVENT, RESIDENT_MESSAGE_EVENT)).order_by("at", "pk"))
    replies = {(e.data or {}).get(ANSWERS_KEY): e for e in events if e.kind == RESIDENT_MESSAGE_EVENT}
    return [Clarification(question=e, reply=replies.get(e.pk)) for e in events if e.kind == REQUEST_EVENT]
