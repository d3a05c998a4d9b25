"""Writing a replayed message through the platform's services, one call per transition, each at
its own moment (`clock.at`), as if the platform had lived through it; or, for speed, a batch of
them through the history import (`tsur.answers.history.record_history`), which applies the same
lifecycle checks and service rules to the same plan and writes one statement per table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from tsur.answers.history import PastAppeal, PastStep, record_history
from tsur.answers.services import (
    approve_answer,
    confirm_resolution,
    give_interim_answer,
    prepare_answer,
    publish_answer,
    rate_appeal,
)
from tsur.appeals.models import CloseReason
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
from tsur.replay.plan import Action, Planner


@dataclass
class Played:
    steps: int = 0
    skipped: list[str] = field(default_factory=list)  # "<status> <time>: why"


@dataclass
class Player:
    config: RegionConfig
    actors: Actors
    shift: dt.timedelta
    explain_skips: bool = False

    def __post_init__(self) -> None:
        self.planner = Planner(self.actors.operator, self.actors.coordinators, self.shift)

    def moment(self, at: dt.datetime) -> dt.datetime:
        return at + self.shift

    def play(self, row: S.Row) -> Played:
        """Create the appeal and play its history through the services, in one transaction (a
        savepoint inside the caller's batch): if anything fails, nothing of this appeal is
        stored; a step the services refuse leaves the appeal as far as its history went."""
        plan = self.planner.plan(row)
        played = Played(skipped=list(plan.skipped))
        with transaction.atomic(), gathering():
            with clock.at(self.moment(row.created)):
                appeal = create_appeal(self._new(row))
            for n, (step, actions) in enumerate(plan.steps):
                try:
                    with transaction.atomic(), gathering():
                        for action in actions:
                            with clock.at(action.at):
                                _call(appeal.pk, action)
                except DomainError as exc:
                    rest = len(plan.steps) - n
                    played.skipped.append(f"{step.status} {step.at:%Y-%m-%d %H:%M}: {refusal(exc)} (не выполнено шагов: {rest})")
                    break
                played.steps += 1
        return played

    def record(self, rows: list[S.Row]) -> list[Played]:
        """The same plans written as one batch by the history import (one statement per table).
        Raises ValidationFailed, writing nothing, if the import refuses any of them."""
        plans = [self.planner.plan(row) for row in rows]
        items = [
            PastAppeal(
                key=row.external_id, channel=self.config.channel_code, text=row.text, received_at=self.moment(row.created),
                category_code=row.category_code, territory_code=row.territory_code, address=row.address, lat=row.lat,
                lon=row.lon, external_id=row.external_id,
                steps=[_past(action) for _step, actions in plan.steps for action in actions],
            )
            for row, plan in zip(rows, plans, strict=True)
        ]
        record_history(items, batch=max(len(items), 1))
        return [Played(steps=len(plan.steps), skipped=plan.skipped) for plan in plans]

    def _new(self, row: S.Row) -> NewAppeal:
        return NewAppeal(
            channel=self.config.channel_code, text=row.text, category_code=row.category_code,
            territory_code=row.territory_code, address=row.address, lat=row.lat, lon=row.lon,
            external_id=row.external_id, received_at=self.moment(row.created),
        )


def _past(action: Action) -> PastStep:
    return PastStep(name=action.name, at=action.at, actor=action.actor, reason=action.reason,
                    organisation=action.organisation, text=action.text, score=action.score)


def _call(pk: int, a: Action) -> None:
    """The service that takes this transition (the one door checks it again)."""
    if a.name == "take_to_moderation":
        take_to_moderation(pk, a.actor)
    elif a.name == "return_to_moderation":
        return_to_moderation(pk, a.actor, reason=a.reason)
    elif a.name in ("reopen", "rate_satisfied"):
        rate_appeal(pk, a.actor, score=a.score, comment=a.reason)
    elif a.name == "route":
        route_appeal(pk, a.actor, organisation_code=a.organisation, reason=a.reason)
    elif a.name == "accept":
        accept_appeal(pk, a.actor)
    elif a.name == "interim_answer":
        give_interim_answer(pk, a.actor, text=a.text)
    elif a.name == "prepare_answer":
        prepare_answer(pk, a.actor, text=a.text)
    elif a.name in ("approve_answer", "publish_answer"):
        if settings.TSUR_ANSWER_CHECK_REQUIRED:  # otherwise prepare_answer has published it at once
            if a.name == "approve_answer":
                # The history's approval stands; a flagged answer needs a reason on record.
                approve_answer(pk, a.actor, note=a.reason or "Ответ одобрен в исходной системе")
            else:
                publish_answer(pk, a.actor)
    elif a.name == "auto_close":
        auto_close(pk, a.at, a.reason)
    elif a.name == "confirm_resolution":
        confirm_resolution(pk, a.actor, source=a.reason)
    else:
        raise ValueError(f"no service for the transition {a.name!r}")


def auto_close(pk: int, now: dt.datetime, reason: str) -> None:
    """The portal closed the message for want of a rating: the system's auto_close transition,
    with the portal's reason (the platform's own sweeper, answers.auto_close_due, closes by its
    own count of days, which is not the portal's)."""
    with changing(pk, "auto_close", None) as ch:
        ch.appeal.close_reason = CloseReason.AUTO
        ch.appeal.closed_at = now
        ch.reason = reason


def refusal(exc: Exception) -> str:
    """A service's refusal as one line for the command's report."""
    if isinstance(exc, ValidationFailed) and exc.field_errors:
        details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.field_errors.items())
        return f"{exc} ({details})"
    if isinstance(exc, DomainError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


__all__ = ["Played", "Player", "auto_close", "refusal"]
