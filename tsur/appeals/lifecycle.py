"""The appeal lifecycle as one explicit state machine, and the one definition of each transition.

Every transition is named; `TRANSITIONS[name]` gives the statuses it may start from, the status it
leads to (None: the status stays, e.g. an interim answer), who may take it (`permission`, an
action of tsur.appeals.access.ACTIONS) and what it does to the deadline (`clock`). The services
(through `changing`, the only writer of `Appeal.status`), the workspace and the API all read
these, so a rule is written once.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsur.appeals.models import Status as S

OPEN_WORK = frozenset({S.ROUTED, S.IN_PROGRESS})
BEFORE_ANSWER = frozenset({S.RECEIVED, S.MODERATION, S.ROUTED, S.IN_PROGRESS})
ANSWERED = frozenset({S.PUBLISHED, S.CLOSED})
ANY_OPEN = frozenset({S.RECEIVED, S.MODERATION, S.ROUTED, S.IN_PROGRESS, S.ANSWER_PREPARED, S.ANSWER_CHECKED})

# What a transition does to the due date: keep it, recompute it (the regime, urgency, organisation,
# interim answer or extension changed), or restart the clock from now (a reopened appeal).
KEEP, RECOMPUTE, RESTART = "keep", "recompute", "restart"


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str | None
    label: str
    permission: str = ""  # an action of tsur.appeals.access.ACTIONS; "" = the system only
    clock: str = KEEP


_T = [
    Transition("auto_triage", frozenset({S.RECEIVED}), None, "Автоматический разбор", clock=RECOMPUTE),
    Transition("detach_from_problem", frozenset({S.JOINED}), S.MODERATION, "Отсоединено от проблемы", "detach_from_problem"),
    Transition("take_to_moderation", frozenset({S.RECEIVED}), S.MODERATION, "Передано на модерацию", "moderate"),
    # An operator may route straight from "received" when the intake pipeline has not run yet.
    Transition("route", frozenset({S.RECEIVED, S.MODERATION}), S.ROUTED, "Направлено в организацию", "route", RECOMPUTE),
    Transition("transfer", OPEN_WORK, S.ROUTED, "Переадресовано", "transfer", RECOMPUTE),
    Transition("return_to_moderation", OPEN_WORK, S.MODERATION, "Возвращено в ЦУР", "transfer"),
    Transition("assign", OPEN_WORK, S.IN_PROGRESS, "Назначен исполнитель", "assign"),
    Transition("accept", frozenset({S.ROUTED}), S.IN_PROGRESS, "Принято в работу", "accept"),
    Transition("interim_answer", OPEN_WORK, None, "Промежуточный ответ", "interim_answer", RECOMPUTE),
    Transition("request_extension", OPEN_WORK, None, "Запрошено продление", "request_extension"),
    Transition("grant_extension", OPEN_WORK | {S.ANSWER_PREPARED}, None, "Срок продлён", "decide_extension", RECOMPUTE),
    Transition("deny_extension", OPEN_WORK | {S.ANSWER_PREPARED}, None, "В продлении отказано", "decide_extension"),
    Transition("prepare_answer", frozenset({S.IN_PROGRESS}), S.ANSWER_PREPARED, "Ответ подготовлен", "prepare_answer"),
    Transition("approve_answer", frozenset({S.ANSWER_PREPARED}), S.ANSWER_CHECKED, "Ответ проверен ЦУР", "check_answer"),
    Transition(
        "return_answer", frozenset({S.ANSWER_PREPARED, S.ANSWER_CHECKED}), S.IN_PROGRESS, "Ответ возвращён на доработку", "check_answer"
    ),
    Transition("publish_answer", frozenset({S.ANSWER_CHECKED}), S.PUBLISHED, "Ответ опубликован", "publish_answer"),
    Transition("deliver_problem_answer", frozenset({S.JOINED}), S.PUBLISHED, "Ответ по проблеме опубликован"),
    Transition("rate_satisfied", frozenset({S.PUBLISHED, S.CLOSED}), S.CLOSED, "Житель доволен ответом", "rate"),
    Transition("reopen", frozenset({S.PUBLISHED, S.CLOSED}), S.IN_PROGRESS, "Возобновлено: житель не удовлетворён", "rate", RESTART),
    # A joined appeal follows its lead: the lead's clock restarts, the member's has none of its own.
    Transition("reopen_member", frozenset({S.PUBLISHED, S.CLOSED}), S.JOINED, "Возобновлено вместе с проблемой", "rate"),
    Transition("auto_close", frozenset({S.PUBLISHED}), S.CLOSED, "Закрыто автоматически"),
    Transition("confirm_resolution", frozenset({S.PUBLISHED}), S.CLOSED, "Решение подтверждено", "confirm_resolution"),
    # Objective monitoring (tsur.monitoring.closure), where the event kind allows it: a linked
    # event's resolution proves the fix the answer promised; a recurrence or a problem still there
    # contradicts the answer's claim and the appeal goes back to work with a fresh clock.
    Transition("close_objective", frozenset({S.PUBLISHED}), S.CLOSED, "Решение подтверждено объективным контролем"),
    Transition("reopen_objective", ANSWERED, S.IN_PROGRESS, "Возобновлено: объективный контроль не подтверждает устранение", "", RESTART),
    Transition("reject", BEFORE_ANSWER, S.REJECTED, "Отклонено", "reject"),
    Transition("join_problem", BEFORE_ANSWER, S.JOINED, "Присоединено к проблеме", "join_problem"),
    Transition("reclassify", ANY_OPEN | {S.JOINED}, None, "Изменена классификация", "reclassify", RECOMPUTE),
    Transition("change_urgency", ANY_OPEN, None, "Изменена срочность", "change_urgency", RECOMPUTE),
    Transition("change_place", ANY_OPEN | {S.JOINED}, None, "Изменено место", "reclassify"),
    # Asking the resident for details pauses nothing: neither 59-FZ nor the message regime stops the
    # count while the resident is asked (tsur.appeals.services.clarification), so the clock is kept.
    Transition("request_clarification", ANY_OPEN - {S.RECEIVED}, None, "Запрошено уточнение у жителя", "request_clarification"),
]

TRANSITIONS: dict[str, Transition] = {t.name: t for t in _T}


def allowed(name: str, status: str) -> bool:
    return status in TRANSITIONS[name].sources


def available(status: str) -> list[Transition]:
    return [t for t in _T if status in t.sources]
