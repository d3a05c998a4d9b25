"""Who a user is in the platform: their one role and its scope (an organisation or a queue)."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from tsur.accounts.models import Membership, Role

OPERATOR_ROLES = frozenset({Role.REGIONAL_OPERATOR, Role.MUNICIPAL_OPERATOR, Role.ADMINISTRATOR})
ORGANISATION_ROLES = frozenset({Role.COORDINATOR, Role.EXECUTOR})
STAFF_ROLES = OPERATOR_ROLES | ORGANISATION_ROLES | {Role.ANALYST}
# The situation center's region-wide figures, maps, points of tension and reports.
CENTER_ROLES = frozenset({Role.REGIONAL_OPERATOR, Role.ANALYST, Role.ADMINISTRATOR})


def membership_of(user) -> Membership | None:
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def role_of(user) -> str | None:
    if user is not None and getattr(user, "is_superuser", False) and membership_of(user) is None:
        return Role.ADMINISTRATOR
    m = membership_of(user)
    return m.role if m else None


def is_staff_role(user) -> bool:
    return role_of(user) in STAFF_ROLES


def can_see_personal_data(user) -> bool:
    """Analysts never see residents' personal data; organisations see it for their own appeals only
    (checked together with the appeal's scope)."""
    return role_of(user) in (OPERATOR_ROLES | ORGANISATION_ROLES | {Role.RESIDENT})


def is_center_role(user) -> bool:
    return role_of(user) in CENTER_ROLES
