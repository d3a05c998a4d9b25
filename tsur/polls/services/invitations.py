"""Invitations to a follow-up poll: a link for one resident who wrote about its subject. The
link's token verifies its bearer; only the token's HMAC is stored."""

from __future__ import annotations

import secrets

from django.db import transaction

from tsur.appeals.models import Appeal
from tsur.polls.errors import CodeRefused
from tsur.polls.models import Invitation, Poll, PollEvent
from tsur.polls.services.audit import record
from tsur.polls.services.identity import Identity, IdentityKind, token_hash


@transaction.atomic
def create_invitation(poll: Poll, appeal: Appeal | None, user=None) -> tuple[Invitation, str]:
    """A new invitation and its raw token (shown once: put it in the link, it is not kept)."""
    raw = secrets.token_urlsafe(18)
    invitation = Invitation.objects.create(poll=poll, appeal=appeal, token_hash=token_hash(raw))
    record(poll, PollEvent.Kind.INVITED, user, invitation=invitation.pk)
    return invitation, raw


def invitation_identity(poll: Poll, token: str) -> Identity:
    """Who an invitation's link proves: the resident of its appeal (two invitations of one
    resident are one voter), else the invitation itself."""
    invitation = Invitation.objects.filter(poll=poll, token_hash=token_hash((token or "").strip())).select_related("appeal").first()
    if invitation is None:
        raise CodeRefused("Ссылка-приглашение недействительна: проверьте, что она скопирована полностью.", code="invitation_invalid")
    if invitation.used_at is not None:
        raise CodeRefused("По этому приглашению уже проголосовали.", code="invitation_used")
    resident_id = invitation.appeal.resident_id if invitation.appeal is not None else None
    subject = f"resident:{resident_id}" if resident_id else f"invitation:{invitation.pk}"
    return Identity(IdentityKind.INVITATION, subject, invitation_id=invitation.pk)


def invitation_territory(poll: Poll, token: str) -> int | None:
    """The territory of the invitation's appeal: the vote page preselects it (the resident may
    change it; the vote is still checked against the poll's territories)."""
    invitation = Invitation.objects.filter(poll=poll, token_hash=token_hash((token or "").strip())).select_related("appeal").first()
    if invitation is None or invitation.appeal is None:
        return None
    return invitation.appeal.territory_id
