"""What polls tell the apps above them, after the change commits (tsur.core.events)."""

from __future__ import annotations

from dataclasses import dataclass

from tsur.core.events import Topic


@dataclass(frozen=True)
class PollChange:
    poll_id: int
    kind: str  # "published" | "closed" (PollEvent.Kind)
    actor_id: int | None


# Channels post a published poll's link to the communities configured for it (tsur.channels.polls).
poll_changed: Topic[PollChange] = Topic("polls.poll_changed")

# Ids of ballots just cast: the follow-up after a fix settles its resident's answer at once
# (tsur.polls.followup.on_ballots_cast; its periodic settling is the sweeper for what this misses).
ballot_cast: Topic[int] = Topic("polls.ballot_cast")
