"""The appeal lifecycle as one explicit state machine.

Every transition is named; `TRANSITIONS[name]` gives the statuses it may start from and the status
it leads to (None: the status stays, e.g. an interim answer). Service functions call `transition()`,
which is the only code that writes `Appeal.status`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsur.appeals.models import Status as S

OPEN_WORK = frozenset({S.ROUTED, S.IN_PROGRESS})
BEFORE_ANSWER = frozenset({S.RECEIVED, S.MODERATION, S.ROUTED, S.IN_PROGRESS})
ANY_OPEN = frozenset({S.RECEIVED, S.MODERATION, S.ROUTED, S.IN_PROGRESS, S.ANSWER_PREPARED, S.ANSWER_CHECKED})


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str | None
    label: str


_T = [
    Transition("auto_triage", frozenset({S.RECEIVED}), None, "Автоматический разбор"),
    Transition("detach_from_problem", frozenset({S.JOINED}), S.MODERATION, "Отсоединено от проблемы"),
    Transition("take_to_moderation", frozenset({S.RECEIVED}), S.MODERATION, "Передано на модерацию"),
    # An operator may route straight from "received" when the intake pipeline has not run yet.
    Transition("route", frozenset({S.RECEIVED, S.MODERATION}), S.ROUTED, "Направлено в организацию"),
    Transition("transfer", OPEN_WORK, S.ROUTED, "Переадресовано"),
    Transition("return_to_moderation", OPEN_WORK, S.MODERATION, "Возвращено в ЦУР"),
    Transition("assign", OPEN_WORK, S.IN_PROGRESS, "Назначен исполнитель"),
    Transition("accept", frozenset({S.ROUTED}), S.IN_PROGRESS, "Принято в работу"),
    Transition("interim_answer", OPEN_WORK, None, "Промежуточный ответ"),
    Transition("request_extension", OPEN_WORK, None, "Запрошено продление"),
    Transition("grant_extension", OPEN_WORK | {S.ANSWER_PREPARED}, None, "Срок продлён"),
    Transition("deny_extension", OPEN_WORK | {S.ANSWER_PREPARED}, None, "В продлении отказано"),
    Transition("prepare_answer", frozenset({S.IN_PROGRESS}), S.ANSWER_PREPARED, "Ответ подготовлен"),
    Transition("approve_answer", frozenset({S.ANSWER_PREPARED}), S.ANSWER_CHECKED, "Ответ проверен ЦУР"),
    Transition("return_answer", frozenset({S.ANSWER_PREPARED, S.ANSWER_CHECKED}), S.IN_PROGRESS, "Ответ возвращён на доработку"),
    Transition("publish_answer", frozenset({S.ANSWER_CHECKED}), S.PUBLISHED, "Ответ опубликован"),
    Transition("deliver_problem_answer", frozenset({S.JOINED}), S.PUBLISHED, "Ответ по проблеме опубликован"),
    Transition("rate_satisfied", frozenset({S.PUBLISHED, S.CLOSED}), S.CLOSED, "Житель доволен ответом"),
    Transition("reopen", frozenset({S.PUBLISHED, S.CLOSED}), S.IN_PROGRESS, "Возобновлено: житель не удовлетворён"),
    Transition("reopen_member", frozenset({S.PUBLISHED, S.CLOSED}), S.JOINED, "Возобновлено вместе с проблемой"),
    Transition("auto_close", frozenset({S.PUBLISHED}), S.CLOSED, "Закрыто автоматически"),
    Transition("confirm_resolution", frozenset({S.PUBLISHED}), S.CLOSED, "Решение подтверждено"),
    Transition("reject", BEFORE_ANSWER, S.REJECTED, "Отклонено"),
    Transition("join_problem", BEFORE_ANSWER, S.JOINED, "Присоединено к проблеме"),
    Transition("reclassify", ANY_OPEN | {S.JOINED}, None, "Изменена классификация"),
    Transition("change_urgency", ANY_OPEN, None, "Изменена срочность"),
    Transition("change_place", ANY_OPEN | {S.JOINED}, None, "Изменено место"),
]

TRANSITIONS: dict[str, Transition] = {t.name: t for t in _T}


def allowed(name: str, status: str) -> bool:
    return status in TRANSITIONS[name].sources


def available(status: str) -> list[Transition]:
    return [t for t in _T if status in t.sources]
