"""The directory rows an appeal points to (territory, block, category, organisation, queue), kept
per process for the workspace's pages.

The queue page and the card read appeals with these five rows. Joined in one statement, they made
PostgreSQL plan for longer than it ran: ~5 ms of planning for 1 ms of executing the queue's page of
50, ~3 ms for the card's single appeal. The tables are small (the Kaluga configuration: about 140
territories, 300 categories, 140 organisations) and change a few times a year, so each process
keeps a copy (`tsur.core.refcache`: TSUR_REFERENCE_CACHE_SECONDS; a change saved in this process
is seen at once, by other processes within the period) and `attach` gives each appeal its rows
from it, as select_related would. A row the copy does not have (added where no signal told it,
e.g. by bulk_create) is read, one statement per table for all the appeals. With the period 0 (the
tests' default) no copy is kept: the rows are read that way every time.

Territories come without their boundary (kilobytes of GeoJSON): a card map that needs it loads it
on first use, into the copy. The instances are shared between requests: read them, never change them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Model

from tsur.appeals.models import Appeal
from tsur.core.refcache import Cached
from tsur.directory.models import Block, Category, Organisation, Queue, Territory

# The appeal's foreign key, the table, and the columns left out of the copy.
TABLES: tuple[tuple[str, type[Model], tuple[str, ...]], ...] = (
    ("territory", Territory, ("boundary",)),
    ("block", Block, ()),
    ("category", Category, ()),
    ("organisation", Organisation, ()),
    ("queue", Queue, ()),
)


def _load() -> dict[str, dict[int, Model]]:
    return {name: {o.pk: o for o in model.objects.defer(*left_out)} for name, model, left_out in TABLES}


_COPY = Cached("workspace-directory", _load, watch=[model for _name, model, _left_out in TABLES])


def attach(appeals: Iterable[Appeal]) -> None:
    """Give each appeal its territory, block, category, organisation and queue (see the module)."""
    appeals = list(appeals)
    copy = _COPY.get() if settings.TSUR_REFERENCE_CACHE_SECONDS > 0 else {}
    for name, model, left_out in TABLES:
        known = copy.get(name, {})
        missing = {getattr(a, f"{name}_id") for a in appeals} - known.keys() - {None}
        found = {o.pk: o for o in model.objects.filter(pk__in=missing).defer(*left_out)} if missing else {}
        for a in appeals:
            pk = getattr(a, f"{name}_id")
            row = known.get(pk) or found.get(pk)
            if row is not None:  # else (a row deleted meanwhile) the attribute loads as before
                setattr(a, name, row)
