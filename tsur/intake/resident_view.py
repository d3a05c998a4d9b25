"""What residents see of their appeal, in one place: the status page and the API both read it.

The history is a whitelist on purpose: staff names, internal notes, the center's check of an
answer (approved or returned for rework), reclassification, reminders and escalations are never
shown; what is shown is phrased once here, so the page and the app cannot drift apart again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from tsur.appeals.models import Appeal, CloseReason, Event, RejectionReason, Status
from tsur.appeals.services import RESIDENT_MESSAGE_EVENT, open_question
from tsur.appeals.services.clarification import ANSWERS_KEY, REQUEST_EVENT
from tsur.directory.models import Organisation


@dataclass(frozen=True)
class PublicEvent:
    at: dt.datetime
    kind: str
    title: str
    note: str = ""

    @property
    def text(self) -> str:
        """One line for the page: «Направлено в организацию: Миндор»."""
        return f"{self.title}: {self.note}" if self.note else self.title


def _organisation(key: str) -> Callable[[Event, dict[str, str]], str]:
    return lambda e, orgs: orgs.get((e.data or {}).get(key) or "", "")


def _extension(e: Event, orgs: dict[str, str]) -> str:
    data = e.data or {}
    parts = [f"на {data['days']} дн." if data.get("days") else ""]
    if data.get("due_at"):
        parts.append(f"новый срок — до {timezone.localtime(dt.datetime.fromisoformat(data['due_at'])):%d.%m.%Y %H:%M}")
    return ", ".join(p for p in parts if p)


def _question(e: Event, orgs: dict[str, str]) -> str:
    return f"«{e.reason}»" if e.reason else ""


def _message(e: Event, orgs: dict[str, str]) -> str:
    return "ответ на запрос уточнения" if (e.data or {}).get(ANSWERS_KEY) else ""


def _score(e: Event, orgs: dict[str, str]) -> str:
    score = (e.data or {}).get("score")
    return f"оценка {score} из 5" if score else ""


# Event kind -> (title, the note's source). Kinds not listed are internal and never shown.
PUBLIC_EVENTS: dict[str, tuple[str, Callable[[Event, dict[str, str]], str] | None]] = {
    "created": ("Обращение получено и зарегистрировано", None),
    "take_to_moderation": ("Обращение передано на модерацию", None),
    "route": ("Направлено в организацию", _organisation("organisation")),
    "transfer": ("Передано в другую организацию", _organisation("to")),
    "return_to_moderation": ("Центр управления регионом уточняет, какая организация ответит", None),
    "assign": ("Назначен ответственный исполнитель", None),
    "accept": ("Принято в работу", None),
    "interim_answer": ("Дан промежуточный ответ", None),
    "grant_extension": ("Срок рассмотрения продлён", _extension),
    "prepare_answer": ("Организация подготовила ответ", None),
    "publish_answer": ("Ответ опубликован", None),
    "deliver_problem_answer": ("Опубликован ответ по проблеме", None),
    "rate_satisfied": ("Оценка принята, обращение закрыто", _score),
    "reopen": ("Обращение возвращено в работу", None),
    "reopen_member": ("Обращение возвращено в работу", None),
    "auto_close": ("Закрыто автоматически: оценка ответа не поступила", None),
    "confirm_resolution": ("Решение проблемы подтверждено", None),
    "close_objective": ("Решение проблемы подтверждено объективным контролем", None),
    "reopen_objective": ("Обращение возвращено в работу: объективный контроль не подтвердил устранение", None),
    "reject": ("Обращение отклонено", lambda e, orgs: e.reason),  # the reason the resident was notified of
    "join_problem": ("Объединено с похожими обращениями", None),
    # Residents (clarification): the question asked, in the words sent to the resident; their reply.
    REQUEST_EVENT: ("Запрошено уточнение", _question),
    RESIDENT_MESSAGE_EVENT: ("Получено ваше сообщение", _message),
}

STATUS_TITLES = {
    Status.RECEIVED: "Получено",
    Status.MODERATION: "На модерации",
    Status.ROUTED: "Передано в организацию",
    Status.IN_PROGRESS: "В работе",
    Status.ANSWER_PREPARED: "Готовится ответ",
    Status.ANSWER_CHECKED: "Ответ проверен",
    Status.PUBLISHED: "Ответ опубликован",
    Status.CLOSED: "Закрыто",
    Status.REJECTED: "Отклонено",
    Status.JOINED: "Объединено с похожими обращениями",
}


def history(appeal: Appeal) -> list[PublicEvent]:
    events = [e for e in appeal.events.order_by("at", "pk") if e.kind in PUBLIC_EVENTS]
    codes = {(e.data or {}).get(k) for e in events for k in ("organisation", "to")}
    orgs = dict(Organisation.objects.filter(code__in=[c for c in codes if c]).values_list("code", "name"))
    rows = []
    for e in events:
        title, note = PUBLIC_EVENTS[e.kind]
        rows.append(PublicEvent(at=timezone.localtime(e.at), kind=e.kind, title=title, note=note(e, orgs) if note else ""))
    return rows


def status_title(appeal: Appeal) -> str:
    return STATUS_TITLES.get(appeal.status, appeal.get_status_display())


def status_explanation(appeal: Appeal) -> str:
    org = appeal.organisation.name if appeal.organisation_id else "организация"
    s = appeal.status
    if s == Status.RECEIVED:
        return "Обращение зарегистрировано и скоро попадёт к специалистам Центра управления регионом."
    if s == Status.MODERATION:
        return "Специалисты Центра управления регионом проверяют обращение и определяют, кто должен решить проблему."
    if s == Status.ROUTED:
        return f"Обращение направлено в организацию: {org}."
    if s == Status.IN_PROGRESS:
        return f"Над решением работает организация: {org}."
    if s == Status.ANSWER_PREPARED:
        return "Организация подготовила ответ; Центр управления регионом проверяет его перед публикацией."
    if s == Status.ANSWER_CHECKED:
        return "Ответ проверен и скоро будет опубликован."
    if s == Status.PUBLISHED:
        return "Ответ опубликован. Прочитайте его и оцените — от оценки зависит, будет ли обращение закрыто."
    if s == Status.CLOSED:
        return {
            CloseReason.SATISFIED: "Обращение закрыто: вы оценили ответ положительно.",
            CloseReason.AUTO: "Обращение закрыто автоматически: оценка ответа не поступила. Вы всё ещё можете оценить ответ.",
            CloseReason.CONFIRMED: "Обращение закрыто: решение проблемы подтверждено.",
        }.get(appeal.close_reason, "Обращение закрыто.")
    if s == Status.REJECTED:
        reason = RejectionReason(appeal.rejection_reason).label if appeal.rejection_reason else ""
        note = f" {appeal.rejection_note}" if appeal.rejection_note else ""
        return f"Обращение не может быть рассмотрено. Причина: {reason}.{note}".strip()
    if s == Status.JOINED:
        return "Ваше обращение касается той же проблемы, что и другие обращения. Ответ по проблеме придёт и вам, и вы сможете его оценить."
    return ""


def can_rate(appeal: Appeal) -> bool:
    return appeal.status == Status.PUBLISHED or (appeal.status == Status.CLOSED and appeal.close_reason == CloseReason.AUTO)


@dataclass(frozen=True)
class OpenQuestion:
    """A clarification the resident has not answered yet, as the status page and the cabinet show it."""

    at: dt.datetime
    text: str


# A reply is taken while the appeal is worked on (a closed or rejected appeal has no one to read it).
REPLY_STATUSES = frozenset({Status.MODERATION, Status.ROUTED, Status.IN_PROGRESS, Status.ANSWER_PREPARED, Status.ANSWER_CHECKED})


def open_clarification(appeal: Appeal) -> OpenQuestion | None:
    """The question awaiting the resident's reply, or None (answered, or the appeal is no longer worked on)."""
    if appeal.status not in REPLY_STATUSES:
        return None
    question = open_question(appeal)
    if question is None:
        return None
    return OpenQuestion(at=timezone.localtime(question.at), text=question.reason)
