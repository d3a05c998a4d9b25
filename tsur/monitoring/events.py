"""What monitoring tells the apps above it, after the change commits (tsur.core.events).

- `events_recorded`: ids of monitoring events created or given a newer version (a case closed, a
  reading back to normal); the matcher and the proof of closure react to it.
- `evidence_changed`: ids of appeals whose objective evidence changed (a link made, confirmed or
  rejected by an operator; a linked event resolved); the points of tension recount them.
"""

from __future__ import annotations

from tsur.core.events import Topic

events_recorded: Topic[int] = Topic("monitoring.events_recorded")
evidence_changed: Topic[int] = Topic("monitoring.evidence_changed")
