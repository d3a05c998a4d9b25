"""Who may see and do what with appeals. Every page, endpoint, export and search goes through here.

The roles themselves live in tsur.accounts.roles (below appeals); this module adds what each role
may see and do with appeals, so it sits with them. Its names are re-exported for one import.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tsur.accounts.models import Role
from tsur.accounts.roles import (
    OPERATOR_ROLES,
    ORGANISATION_ROLES,
    STAFF_ROLES,
    can_see_personal_data,
    is_staff_role,
    membership_of,
    role_of,
)
from tsur.appeals.models import Appeal
from tsur.core.errors import AccessDenied

__all__ = [
    "ACTIONS", "OPERATOR_ROLES", "ORGANISATION_ROLES", "STAFF_ROLES", "appeals_for", "can", "can_see_personal_data",
    "can_view", "is_staff_role", "membership_of", "organisations_scope_q", "require", "require_staff", "role_of",
]

# Action -> roles that may perform it (scope is checked separately).
ACTIONS: dict[str, frozenset[str]] = {
    "moderate": OPERATOR_ROLES,
    "route": OPERATOR_ROLES,
    "reclassify": OPERATOR_ROLES,
    "change_urgency": OPERATOR_ROLES,
    "reject": OPERATOR_ROLES,
    "join_problem": OPERATOR_ROLES,
    "detach_from_problem": OPERATOR_ROLES,
    "transfer": OPERATOR_ROLES | {Role.COORDINATOR},
    "assign": OPERATOR_ROLES | {Role.COORDINATOR},
    "accept": OPERATOR_ROLES | ORGANISATION_ROLES,
    "interim_answer": OPERATOR_ROLES | ORGANISATION_ROLES,
    "request_extension": ORGANISATION_ROLES | OPERATOR_ROLES,
    "decide_extension": OPERATOR_ROLES,
    "prepare_answer": OPERATOR_ROLES | ORGANISATION_ROLES,
    "check_answer": OPERATOR_ROLES,
    "publish_answer": OPERATOR_ROLES,
    "confirm_resolution": OPERATOR_ROLES,
    "request_clarification": OPERATOR_ROLES | ORGANISATION_ROLES,
    "rate": frozenset({Role.RESIDENT}),
    "create": OPERATOR_ROLES | {Role.RESIDENT},
    # Internal notes: those who work the appeal; not analysts (a note is free text and may hold
    # personal data they must not see), never residents.
    "note": OPERATOR_ROLES | ORGANISATION_ROLES,
}


def appeals_for(user, queryset: QuerySet | None = None) -> QuerySet:
    """The appeals this user may see, as a queryset filter (never a Python-side check)."""
    qs = queryset if queryset is not None else Appeal.objects.all()
    role = role_of(user)
    if role in (Role.REGIONAL_OPERATOR, Role.ADMINISTRATOR, Role.ANALYST):
        return qs
    m = membership_of(user)
    if role == Role.MUNICIPAL_OPERATOR and m and m.queue_id:
        return qs.filter(queue_id=m.queue_id)
    if role == Role.COORDINATOR and m and m.organisation_id:
        return qs.filter(organisation_id=m.organisation_id)
    if role == Role.EXECUTOR and m and m.organisation_id:
        return qs.filter(organisation_id=m.organisation_id, executor=user)
    if role == Role.RESIDENT:
        return qs.filter(resident__user=user)
    return qs.none()


def can_view(user, appeal) -> bool:
    """Asked of the database (`appeals_for`). The answer is remembered on this appeal object for
    this user while the columns that decide it are unchanged: a card asks once for every action
    it offers (nine queries for one answer)."""
    key = (getattr(user, "pk", None), appeal.pk, appeal.queue_id, appeal.organisation_id, appeal.executor_id, appeal.resident_id)
    memo = appeal.__dict__.setdefault("_tsur_visible_to", {})
    if key not in memo:
        memo[key] = appeals_for(user).filter(pk=appeal.pk).exists()
    return memo[key]


def can(user, action: str, appeal=None) -> bool:
    role = role_of(user)
    if role is None or role not in ACTIONS.get(action, frozenset()):
        return False
    if appeal is None or appeal.pk is None:
        return True
    return can_view(user, appeal)


def require(user, action: str, appeal=None) -> None:
    if not can(user, action, appeal):
        raise AccessDenied("Недостаточно прав для этого действия с обращением.")


def require_staff(user) -> None:
    if not is_staff_role(user):
        raise AccessDenied("Раздел доступен только сотрудникам.")


def organisations_scope_q(user) -> Q:
    """For lists of organisations' figures: coordinators/executors see only their organisation."""
    m = membership_of(user)
    if role_of(user) in ORGANISATION_ROLES and m:
        return Q(pk=m.organisation_id)
    return Q()
