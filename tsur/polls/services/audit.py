"""The poll's audit: every service that changes a poll, a question or a vote writes one row."""

from __future__ import annotations

from tsur.core import clock
from tsur.polls.models import Poll, PollEvent


def record(poll: Poll, kind: str, actor=None, /, **details) -> PollEvent:
    """One audit row. `details` never carries a contact, a name or anything that identifies a voter."""
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return PollEvent.objects.create(poll=poll, kind=kind, actor=user, at=clock.now(), details=details)
