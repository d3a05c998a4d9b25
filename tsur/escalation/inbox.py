"""Whose signals are whose, and reading them. A signal is addressed to one user (personal), to an
organisation (its coordinators) or to the center (its operators); a user sees their personal
signals and those of their organisation or the center, always within the appeals they may see
(`access.appeals_for`). Reading is per user: a colleague's reading leaves the signal unread for
the others."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from tsur.appeals import access
from tsur.core import clock
from tsur.deadlines.models import StaffAlert, StaffAlertRead


def alerts_for(user) -> QuerySet:
    """The signals this user should see: their own, their organisation's, and for the center's
    operators those addressed to the center (no organisation); within the appeal scope."""
    role = access.role_of(user)
    m = access.membership_of(user)
    if role in access.OPERATOR_ROLES:
        shared = Q(organisation=None)
        if m and m.organisation_id:
            shared |= Q(organisation_id=m.organisation_id)
    elif role in access.ORGANISATION_ROLES and m and m.organisation_id:
        # An executor's scope is their own appeals, so of the organisation's they see only those.
        shared = Q(organisation_id=m.organisation_id)
    else:
        shared = None
    read = StaffAlertRead.objects.filter(alert=OuterRef("pk"), user=user)
    qs = StaffAlert.objects.annotate(is_read=Exists(read)).select_related("appeal", "organisation", "user")
    if shared is None:
        # Analysts and residents have no signals (the empty set keeps the same shape for callers).
        return qs.none()
    return qs.filter(Q(user=user) | (Q(user=None) & shared), appeal__in=access.appeals_for(user))


def unread_for(user) -> QuerySet:
    return alerts_for(user).filter(is_read=False)


def mark_read(user, alerts: Iterable[StaffAlert] | QuerySet) -> int:
    """Mark these signals read for this user (only those they may see). Returns how many were
    unread. A UI state of the signal, not a change of the appeal: no event."""
    ids = [a.pk for a in alerts]
    unread = list(unread_for(user).filter(pk__in=ids).values_list("pk", flat=True))
    if not unread:
        return 0
    now = clock.now()
    StaffAlertRead.objects.bulk_create([StaffAlertRead(alert_id=pk, user=user, read_at=now) for pk in unread], ignore_conflicts=True)
    StaffAlert.objects.filter(pk__in=unread, seen_at=None).update(seen_at=now)
    return len(unread)


def mark_appeal_read(user, appeal_id: int) -> int:
    """Opening a card reads the signals about it for this user: a signal's job is to bring its
    reader to the card, and a colleague who has not opened it still sees it unread."""
    if not StaffAlert.objects.filter(appeal_id=appeal_id).exists():
        return 0  # most cards: no signal about this appeal at all (one indexed probe, not the scoped read)
    return mark_read(user, unread_for(user).filter(appeal_id=appeal_id))
