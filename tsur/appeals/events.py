"""What appeals publish to the apps above them, after the change commits (tsur.core.events).

- `appeal_changed`: every event written to an appeal's log by a transition (the lifecycle's
  `changing`, `step` in batch writes) or at creation; subscribers read what they need by id.
- `appeals_received`: ids of new appeals that wait, received, for the intake follow-up (triage
  and the move to moderation); a channel's batch, triaged at creation, does not wait.

Triage subscribes today (corrections, the intake follow-up); the tension points, monitoring and
polls subscribe the same way, without appeals importing any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from tsur.appeals.models import Event
from tsur.core.events import Topic


@dataclass(frozen=True)
class AppealChange:
    appeal_id: int
    event_id: int
    kind: str
    from_status: str
    to_status: str
    actor_id: int | None

    @classmethod
    def of(cls, event: Event) -> AppealChange:
        return cls(event.appeal_id, event.pk, event.kind, event.from_status, event.to_status, event.actor_id)


appeal_changed: Topic[AppealChange] = Topic("appeal_changed")
appeals_received: Topic[int] = Topic("appeals_received")
# Events that change nothing of the appeal but that staff should hear of: a resident's later
# message (`resident_message`) and an internal note (`note_added`). Apart from `appeal_changed`, so
# the subscribers that recount appeals (tension, analytics) never see them.
appeal_noted: Topic[AppealChange] = Topic("appeal_noted")
