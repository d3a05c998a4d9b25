"""Playing one portal message's history through the platform's services, each step at its own
moment (`clock.at`), so the appeal, its events, answers and ratings look as if the platform had
lived through it. The services check every transition; a step the platform cannot take from the
state the history has reached is skipped and counted, never forced.

The portal's public statuses map onto the lifecycle (docs/replay.md):
  Модерация (first)        -> take_to_moderation by the replay's operator
  Рассмотрение             -> route_appeal to the responsible organisation «по истории портала»,
                              accepted by that organisation's coordinator
  Промежуточный ответ      -> give_interim_answer
  Получен ответ            -> prepare_answer (at the answer's own time when it is the last one),
                              approve_answer and publish_answer at the status time
  Завершено: Пользователь удовлетворен -> rate_appeal 5 (closed, satisfied)
  Завершено: Автоматически -> the auto_close transition
  Народный контролер подтвердил -> confirm_resolution
  Модерация (later)        -> reopened (a rating at the reopening threshold) after an answer,
                              return_to_moderation while the organisation works on it
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tsur.answers.services import (
    approve_answer,
    confirm_resolution,
    give_interim_answer,
    prepare_answer,
    publish_answer,
    rate_appeal,
)
from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import Appeal, CloseReason, Status
from tsur.appeals.services import (
    NewAppeal,
    accept_appeal,
    changing,
    create_appeal,
    return_to_moderation,
    route_appeal,
    take_to_moderation,
)
from tsur.core import clock
from tsur.core.errors import DomainError, ValidationFailed
from tsur.core.events import gathering
from tsur.replay import source as S
from tsur.replay.config import Actors, RegionConfig

ROUTING_REASON = "по истории портала"
RESOLUTION_SOURCE = "Народный контролёр портала подтвердил решение проблемы"
SATISFIED_SCORE = 5
REOPEN_COMMENT = "Автор вернул сообщение на портале: не удовлетворён ответом"
RETURN_REASON = "Сообщение возвращено на модерацию портала"


def answer_gone(at: dt.datetime) -> str:
    """The text of an earlier answer the export no longer holds (it keeps only the latest)."""
    return f"Ответ опубликован на портале {timezone.localtime(at):%d.%m.%Y %H:%M}; его текст в выгрузку не вошёл."


@dataclass
class Played:
    appeal: Appeal
    steps: int = 0
    skipped: list[str] = field(default_factory=list)  # "<status> at <time>: why"


class StepRefused(Exception):
    """The history asks for something the services refuse: the appeal stays as far as it got."""


@dataclass
class Player:
    config: RegionConfig
    actors: Actors
    shift: dt.timedelta
    explain_skips: bool = False

    def moment(self, at: dt.datetime) -> dt.datetime:
        return at + self.shift

    def play(self, row: S.Row) -> Played:
        """Create the appeal and play its history, in one transaction (a savepoint inside the
        caller's batch): if anything fails, nothing of this appeal is stored."""
        with transaction.atomic(), gathering():
            with clock.at(self.moment(row.created)):
                appeal = create_appeal(
                    NewAppeal(
                        channel=self.config.channel_code, text=row.text, category_code=row.category_code,
                        territory_code=row.territory_code, address=row.address, lat=row.lat, lon=row.lon,
                        external_id=row.external_id, received_at=self.moment(row.created),
                    )
                )
            played = Played(appeal)
            status = appeal.status
            answers = [i for i, s in enumerate(row.history) if s.status in (S.INTERIM, S.ANSWERED)]
            last_answer = answers[-1] if answers else -1
            before = row.created
            for i, step in enumerate(row.history):
                try:
                    with clock.at(self.moment(step.at)), transaction.atomic(), gathering():
                        status = self._step(appeal.pk, status, step, row, before, i == last_answer, played)
                except StepRefused as exc:
                    played.skipped.append(f"{step.status} {step.at:%Y-%m-%d %H:%M}: {exc}")
                except DomainError as exc:
                    # The services refused: the appeal stays as far as its history went.
                    rest = len(row.history) - i
                    played.skipped.append(f"{step.status} {step.at:%Y-%m-%d %H:%M}: {refusal(exc)} (не выполнено шагов: {rest})")
                    break
                before = step.at
        return played

    def _coordinator(self, row: S.Row):
        user = self.actors.coordinators.get(row.organisation_code)
        if user is None:
            raise StepRefused("организация сообщения не известна — обращение остаётся в ЦУР")
        return user

    def _step(self, pk: int, status: str, step: S.Step, row: S.Row, before: dt.datetime, last_answer: bool, played: Played) -> str:
        operator = self.actors.operator
        done: list[str] = []
        if step.status == S.MODERATION:
            if status == Status.RECEIVED:
                take_to_moderation(pk, operator)
                done.append("take_to_moderation")
            elif status in (Status.ROUTED, Status.IN_PROGRESS):
                return_to_moderation(pk, operator, reason=RETURN_REASON)
                done.append("return_to_moderation")
            elif status in (Status.PUBLISHED, Status.CLOSED) and self._reopenable(pk, status):
                rate_appeal(pk, None, score=settings.TSUR_REOPEN_MAX_SCORE, comment=REOPEN_COMMENT)
                done.append("reopen")
        elif step.status == S.REVIEW:
            if status in (Status.RECEIVED, Status.MODERATION):
                coordinator = self._coordinator(row)
                route_appeal(pk, operator, organisation_code=row.organisation_code, reason=ROUTING_REASON)
                accept_appeal(pk, coordinator)
                done += ["route", "accept"]
        elif step.status == S.INTERIM:
            if status in (Status.ROUTED, Status.IN_PROGRESS):
                text = row.answer_text if last_answer and row.answer_text else answer_gone(self.moment(step.at))
                give_interim_answer(pk, self._coordinator(row), text=text)
                done.append("interim_answer")
        elif step.status == S.ANSWERED:
            if status in (Status.ROUTED, Status.IN_PROGRESS):
                coordinator = self._coordinator(row)
                if status == Status.ROUTED:
                    accept_appeal(pk, coordinator)
                text = row.answer_text if last_answer and row.answer_text else answer_gone(self.moment(step.at))
                # The export's answer time is when the organisation wrote the latest answer; the
                # status changes when the portal published it: the gap is the center's check.
                written = row.answer_at if last_answer and row.answer_at and before <= row.answer_at <= step.at else step.at
                with clock.at(self.moment(written)):
                    prepare_answer(pk, coordinator, text=text)
                done.append("prepare_answer")
                if settings.TSUR_ANSWER_CHECK_REQUIRED:  # otherwise prepare_answer publishes at once
                    approve_answer(pk, operator, note=ROUTING_REASON)
                    publish_answer(pk, operator)
                done += ["approve_answer", "publish_answer"]
        elif step.status == S.SATISFIED:
            if status == Status.PUBLISHED or (status == Status.CLOSED and self._reopenable(pk, status)):
                rate_appeal(pk, None, score=SATISFIED_SCORE)
                done.append("rate_satisfied")
        elif step.status == S.AUTO_CLOSED:
            if status == Status.PUBLISHED:
                auto_close(pk, self.moment(step.at))
                done.append("auto_close")
        elif step.status == S.CONFIRMED:
            if status == Status.PUBLISHED:
                confirm_resolution(pk, operator, source=RESOLUTION_SOURCE)
                done.append("confirm_resolution")
        if not done:
            raise StepRefused(f"в статусе «{Status(status).label}» этот шаг не выполняется")
        played.steps += 1
        for name in done:
            status = TRANSITIONS[name].target or status
        return status

    def _reopenable(self, pk: int, status: str) -> bool:
        """A rating may still change a closed appeal only when it was closed for lack of one."""
        if status == Status.PUBLISHED:
            return True
        return Appeal.objects.filter(pk=pk, close_reason=CloseReason.AUTO).exists()


def auto_close(pk: int, now: dt.datetime) -> None:
    """The portal closed the message for want of a rating: the system's auto_close transition,
    with the reason the portal gives (the platform's own sweeper, answers.auto_close_due, closes
    by its own count of days, which is not the portal's)."""
    with changing(pk, "auto_close", None) as ch:
        ch.appeal.close_reason = CloseReason.AUTO
        ch.appeal.closed_at = now
        ch.reason = "Закрыто порталом автоматически: автор не оценил ответ"


def refusal(exc: Exception) -> str:
    """A service's refusal as one line for the command's report."""
    if isinstance(exc, ValidationFailed) and exc.field_errors:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.field_errors.items())
        return f"{exc} ({details})"
    if isinstance(exc, DomainError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
