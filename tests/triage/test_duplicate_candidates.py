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
        with django_assert_max_num_queries(2 if i == 0 else 0):  # the territory's places, then the spot's others
            cached = _earlier_places(appeal, lambda a=appeal: _candidates_qs(a, radius), since, cache, joined, radius)
        queried = _earlier_places(appeal, lambda a=appeal: _candidates_qs(a, radius), since, None, joined)
        assert [row[0] for row in cached] == [row[0] for row in queried]
        compared += len(queried) > 1
        if i % 3 == 1:
            joined.add(appeal.pk)  # as if the search had decided to join it
    assert compared >= 6  # the cache answered cases with several earlier places


def test_the_spots_of_one_territory_share_its_read_and_each_picks_what_its_own_query_would(world, settings, django_assert_max_num_queries):
    """A storm's spots are a few streets of one city: the city's places are read once for the
    batch's spots of a block, and each spot adds its own read of the places at its address or point
    in no territory or another. Every appeal still gets exactly the places of a query of its own."""
    settings.TSUR_DUPLICATE_WINDOW_DAYS = 14
    base = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    point = {"lat": 54.52, "lon": 36.26}  # inside the city
    specs = [
        {"territory_code": "city", "address": "ул. Ленина, д. 1"},
        {"territory_code": "city", "address": "ул. Ленина, д. 2"},
        {"territory_code": "city", "address": "ул. Кирова, д. 5", **point},
        {"territory_code": "city", "address": ""},
        {"territory_code": "district", "address": "ул. Ленина, д. 1"},  # another territory, the same address
        {"territory_code": "", "address": "УЛ. ЛЕНИНА, Д. 1"},  # no territory, the same address spelt otherwise
        {"territory_code": "", "address": "", "lat": 54.5201, "lon": 36.2601},  # no territory, next to the point
        {"territory_code": "city", "address": "ул. Ленина, д. 1", "category_code": "garbage"},  # another block
        {"territory_code": "city", "address": "ул. Ленина, д. 2", "category_code": ""},  # no block
    ]
    offsets = [-20, -3, -3, -2, -1, -1, 0, 0, 1]
    made = [
        new_appeal(world, received_at=base + dt.timedelta(days=offsets[(i * 5 + j) % len(offsets)], hours=j), **spec)
        for i, spec in enumerate(specs)
        for j in range(3)
    ]
    appeals = list(Appeal.objects.filter(pk__in=[a.pk for a in made]).order_by("received_at", "pk"))
    radius = float(settings.TSUR_DUPLICATE_RADIUS_M)
    window = dt.timedelta(days=settings.TSUR_DUPLICATE_WINDOW_DAYS)
    spots = {(a.territory_id, a.address.lower(), a.lat, a.lon, a.block_id) for a in appeals}
    shared = {(a.territory_id, a.block_id) for a in appeals if a.territory_id}
    cache = Candidates()
    joined: set[int] = set()
    compared = 0
    with django_assert_max_num_queries(len(spots) + len(shared)):  # at most: one per spot, one per territory and block
        cached_all = []
        for i, appeal in enumerate(appeals):
            since = appeal.received_at - window
            cached_all.append(_earlier_places(appeal, lambda a=appeal: _candidates_qs(a, radius), since, cache, set(joined), radius))
            if i % 4 == 2:
                joined.add(appeal.pk)
    joined = set()
    for i, (appeal, cached) in enumerate(zip(appeals, cached_all, strict=True)):
        since = appeal.received_at - window
        queried = _earlier_places(appeal, lambda a=appeal: _candidates_qs(a, radius), since, None, set(joined))
        assert [row[0] for row in cached] == [row[0] for row in queried], appeal.address
        compared += len(queried) > 1
        if i % 4 == 2:
            joined.add(appeal.pk)
    assert compared >= 10
