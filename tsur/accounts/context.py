from __future__ import annotations

from django.http import HttpRequest

from tsur.accounts.models import Role
from tsur.accounts.roles import membership_of, role_of


def role(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    r = role_of(user)
    return {
        "tsur_role": r,
        "tsur_role_label": Role(r).label if r else "",
        "tsur_membership": membership_of(user),
    }
