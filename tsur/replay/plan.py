"""What one portal message's history means for the platform's lifecycle: the transitions, their
moments and who takes them, decided once and written either through the services one by one
(tsur.replay.player) or as a batch through the history import (tsur.answers.history).

The portal's public statuses map onto the lifecycle (docs/replay.md):
  Модерация (first)        -> take_to_moderation by the replay's operator
  Рассмотрение             -> route to the responsible organisation «по истории портала», accepted
                              by that organisation's coordinator
  Промежуточный ответ      -> interim_answer
  Получен ответ            -> prepare_answer (at the answer's own time when it is the last one),
                              approve_answer and publish_answer at the status time
  Завершено: Пользователь удовлетворен -> rate_satisfied (5)
  Завершено: Автоматически -> auto_close
  Народный контролер подтвердил -> confirm_resolution
  Модерация (later)        -> reopen (a rating at the reopening threshold) after an answer,
                              return_to_moderation while the organisation works on it
A status the lifecycle does not allow from the state reached is skipped, never forced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import CloseReason, Status
from tsur.replay import source as S

ROUTING_REASON = "по истории портала"
RESOLUTION_SOURCE = "Народный контролёр портала подтвердил решение проблемы"
SATISFIED_SCORE = 5
REOPEN_COMMENT = "Автор вернул сообщение на портале: не удовлетворён ответом"
RETURN_REASON = "Сообщение возвращено на модерацию портала"
AUTO_CLOSE_REASON = "Закрыто порталом автоматически: автор не оценил ответ"


def answer_gone(at: dt.datetime) -> str:
    """The text of an earlier answer the export no longer holds (it keeps only the latest)."""
    return f"Ответ опубликован на портале {timezone.localtime(at):%d.%m.%Y %H:%M}; его текст в выгрузку не вошёл."


@dataclass(frozen=True)
class Action:
    """One lifecycle transition (a name of tsur.appeals.lifecycle.TRANSITIONS) at its moment."""

    name: str
    at: dt.datetime
    actor: object | None
    text: str = ""
    organisation: str = ""
    score: int | None = None
    reason: str = ""


@dataclass
class Plan:
    steps: list[tuple[S.Step, list[Action]]] = field(default_factory=list)  # the portal steps taken
    skipped: list[str] = field(default_factory=list)  # "<status> <time>: why"


@dataclass
class Planner:
    operator: object
    coordinators: dict[str, object]  # organisation code -> user
    shift: dt.timedelta

    def moment(self, at: dt.datetime) -> dt.datetime:
        return at + self.shift

    def plan(self, row: S.Row) -> Plan:
        result = Plan()
        status, closed_by = Status.RECEIVED, ""
        answers = [i for i, s in enumerate(row.history) if s.status in (S.INTERIM, S.ANSWERED)]
        last_answer = answers[-1] if answers else -1
        before = row.created
        for i, step in enumerate(row.history):
            actions, why = self._actions(row, step, status, closed_by, before, i == last_answer)
            if actions:
                result.steps.append((step, actions))
                for action in actions:
                    status = TRANSITIONS[action.name].target or status
                    closed_by = {"rate_satisfied": CloseReason.SATISFIED, "auto_close": CloseReason.AUTO,
                                 "confirm_resolution": CloseReason.CONFIRMED, "reopen": ""}.get(action.name, closed_by)
            else:
                result.skipped.append(f"{step.status} {step.at:%Y-%m-%d %H:%M}: {why}")
            before = step.at
        return result

    def _actions(self, row: S.Row, step: S.Step, status: str, closed_by: str, before: dt.datetime,
                 last_answer: bool) -> tuple[list[Action], str]:
        at, operator = self.moment(step.at), self.operator
        coordinator = self.coordinators.get(row.organisation_code)
        no_organisation = "организация сообщения не известна — обращение остаётся в ЦУР"
        # A rating may still change a closed appeal only when it was closed for lack of one.
        rateable = status == Status.PUBLISHED or (status == Status.CLOSED and closed_by == CloseReason.AUTO)
        if step.status == S.MODERATION:
            if status == Status.RECEIVED:
                return [Action("take_to_moderation", at, operator)], ""
            if status in (Status.ROUTED, Status.IN_PROGRESS):
                return [Action("return_to_moderation", at, operator, reason=RETURN_REASON)], ""
            if rateable:
                return [Action("reopen", at, None, score=settings.TSUR_REOPEN_MAX_SCORE, reason=REOPEN_COMMENT)], ""
        elif step.status == S.REVIEW and status in (Status.RECEIVED, Status.MODERATION):
            if coordinator is None:
                return [], no_organisation
            return [Action("route", at, operator, organisation=row.organisation_code, reason=ROUTING_REASON),
                    Action("accept", at, coordinator)], ""
        elif step.status in (S.INTERIM, S.ANSWERED) and status in (Status.ROUTED, Status.IN_PROGRESS):
            if coordinator is None:
                return [], no_organisation
            text = row.answer_text if last_answer and row.answer_text else answer_gone(at)
            if step.status == S.INTERIM:
                return [Action("interim_answer", at, coordinator, text=text)], ""
            # The export's answer time is when the organisation wrote the latest answer; the status
            # changes when the portal published it: the gap is the center's check.
            written = row.answer_at if last_answer and row.answer_at and before <= row.answer_at <= step.at else step.at
            accept = [Action("accept", self.moment(written), coordinator)] if status == Status.ROUTED else []
            return [*accept, Action("prepare_answer", self.moment(written), coordinator, text=text),
                    Action("approve_answer", at, operator, reason=ROUTING_REASON), Action("publish_answer", at, operator)], ""
        elif step.status == S.SATISFIED and rateable:
            return [Action("rate_satisfied", at, None, score=SATISFIED_SCORE)], ""
        elif step.status == S.AUTO_CLOSED and status == Status.PUBLISHED:
            return [Action("auto_close", at, None, reason=AUTO_CLOSE_REASON)], ""
        elif step.status == S.CONFIRMED and status == Status.PUBLISHED:
            return [Action("confirm_resolution", at, operator, reason=RESOLUTION_SOURCE)], ""
        return [], f"в статусе «{Status(status).label}» этот шаг не выполняется"
