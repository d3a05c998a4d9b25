"""The tones (CSS classes) of the workspace's status badges: the templates' `status_tone` filter
and the queue's rows written in Python (tsur.workspace.queue_rows) share them."""

from __future__ import annotations

from tsur.appeals.models import Status

STATUS_TONE = {
    Status.RECEIVED: "new",
    Status.MODERATION: "new",
    Status.ROUTED: "work",
    Status.IN_PROGRESS: "work",
    Status.ANSWER_PREPARED: "check",
    Status.ANSWER_CHECKED: "check",
    Status.PUBLISHED: "done",
    Status.CLOSED: "closed",
    Status.REJECTED: "rejected",
    Status.JOINED: "closed",
}


def status_tone(code: str) -> str:
    """CSS tone of a status badge ("new" for a status it does not know)."""
    return STATUS_TONE.get(code, "new")
