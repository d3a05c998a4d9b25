"""The organisation's side: accepting an appeal and assigning an executor."""

from __future__ import annotations

from tsur.appeals import access
from tsur.appeals.models import (
    Appeal,
)
from tsur.appeals.services.transitions import actor_label, changing
from tsur.core.errors import ValidationFailed


def assign_executor(appeal: Appeal | int, actor, *, executor_id: int, expected_version: int | None = None) -> Appeal:
    from django.contrib.auth import get_user_model

    from tsur.accounts.models import Role

    user = get_user_model().objects.filter(pk=executor_id, is_active=True).select_related("membership").first()
    with changing(appeal, "assign", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        m = access.membership_of(user) if user else None
        if m is None or m.role not in (Role.EXECUTOR, Role.COORDINATOR) or m.organisation_id != a.organisation_id:
            raise ValidationFailed(
                "Исполнитель должен быть сотрудником организации, в которой находится обращение.",
                field_errors={"executor": ["Недопустимый исполнитель."]},
            )
        ch.data = {"executor": user.pk}
        ch.reason = f"Исполнитель: {actor_label(user)}"
        a.executor = user
    return ch.appeal


def accept_appeal(appeal: Appeal | int, actor, *, expected_version: int | None = None) -> Appeal:
    with changing(appeal, "accept", actor, expected_version=expected_version) as ch:
        if ch.appeal.executor_id is None and access.role_of(actor) == "executor":
            ch.appeal.executor = actor
    return ch.appeal
