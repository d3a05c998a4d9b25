"""The duplicate search's per-batch cache of places (`Candidates`) picks, for every appeal, exactly
the places a query of its own would: received earlier (or at the same moment with a smaller id),
inside the window, newest first, none of the appeals about to be joined."""

from __future__ import annotations

import datetime as dt

from tests.factories import new_appeal
from tsur.appeals.models import Appeal
from tsur.triage.duplicates import Candidates, _candidates_qs, _earlier_places


def test_it_picks_from_the_cache_the_same_places_as_a_query_for_each_appeal(world, settings, django_assert_max_num_queries):
    settings.TSUR_DUPLICATE_WINDOW_DAYS = 14
    base = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    # Old ones outside the window, several sharing a receipt time, one in the future of the rest.
    offsets = [-30, -20, -3, -3, -3, -2, -1, -1, 0, 0, 0, 1]
    made = [new_appeal(world, address="ул. Ленина, д. 1", received_at=base + dt.timedelta(days=d)) for d in offsets]
    appeals = list(Appeal.objects.filter(pk__in=[a.pk for a in made]).order_by("received_at", "pk"))
    radius = float(settings.TSUR_DUPLICATE_RADIUS_M)
    window = dt.timedelta(days=settings.TSUR_DUPLICATE_WINDOW_DAYS)
    # The batch is searched in the order it came: the first appeal's read fills the cache, and
    # every later appeal at the spot is answered from it without a query.
    cache = Candidates()
    joined: set[int] = set()
    compared = 0
    for i, appeal in enumerate(appeals):
        since = appeal.received_at - window
        with django_assert_max_num_queries(1 if i == 0 else 0):
            cached = _earlier_places(appeal, lambda a=appeal: _candidates_qs(a, radius), since, cache, joined)
        queried = _earlier_places(appeal, lambda a=appeal: _candidates_qs(a, radius), since, None, joined)
        assert [row[0] for row in cached] == [row[0] for row in queried]
        compared += len(queried) > 1
        if i % 3 == 1:
            joined.add(appeal.pk)  # as if the search had decided to join it
    assert compared >= 6  # the cache answered cases with several earlier places
