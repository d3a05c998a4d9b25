"""Recording past appeals with their whole story, in bulk: `record_history(items)`.

A history import (the demo's generated year, the benchmark's million) has stories that already
happened: an appeal received at a moment, then taken to moderation, routed, answered, published,
rated. Replaying each through the services under `clock.at` costs ~40 ms an appeal (a row lock, a
save and an event insert per transition); this writes the same rows with one statement per table
per batch.

What it guarantees:

* every transition goes through the lifecycle's batch door (`appeals.services.transitions.step`):
  a story that takes a transition from a status it does not allow, goes back in time, routes to an
  unknown organisation, rates without a published answer… is refused with a ValidationFailed
  naming the item and its step, and nothing of its batch is written (one transaction per batch);
* the appeal's fields end as the services would leave them: number from the yearly counter
  (`next_numbers`), regime, masked text and search text as creation makes them, queue, routing
  (the explained `routing.decide` unless the step names the organisation), registration, routing,
  answer, publication and closing moments, reopenings, and the due dates of `tsur.deadlines` for
  the regime, urgency, organisation calendar and received moment (each transition's clock effect
  of the lifecycle: keep, recompute, restart);
* one Event per transition with its from/to statuses, moment, actor, reason and data (plus the
  "created" event, and "problem_led" when an appeal first heads a problem), Answer rows (interim,
  final with the formal-reply findings, their check and publication) and Rating rows.

What it does not do, on purpose:

* it publishes nothing to `appeal_changed` / `appeals_received`: a year of history would flood
  every subscriber (triage corrections, tension recounts) with events that are not news. After an
  import run `tsur analytics rebuild` and `tsur tension recompute`, which read the stored state;
* it writes no notifications to residents (the moments are past; nobody is to be told now) and
  stores no residents' personal data (history items carry none);
* it does not model extensions, reclassification or changes of place (the stories a history
  import needs do without; such a step is refused by name).

Modules: `story` (the items and each step's rules, in memory), `reference` (directory rows and the
remembered routing), `writing` (batches, numbers, the inserts). Speed: docs/demo-history.md.
"""

from tsur.answers.history.reference import Routing
from tsur.answers.history.story import SUPPORTED, PastAppeal, PastStep
from tsur.answers.history.writing import record_history

__all__ = ["SUPPORTED", "PastAppeal", "PastStep", "Routing", "record_history"]
