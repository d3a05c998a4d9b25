"""The duplicate search's per-batch cache of places (`Candidates`) picks, for every appeal, exactly
the places a query of its own would: received earlier (or at the same moment with a smaller id),
inside the window, newest first, none of the appeals about to be joined."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import new_appeal
from tsur.appeals.models import Appeal
from tsur.triage import duplicates
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


@pytest.mark.parametrize("expected", ["no", "yes", "cut"])
def test_the_spots_of_one_territory_share_its_read_and_each_picks_what_its_own_query_would(
    world, settings, monkeypatch, django_assert_max_num_queries, expected
):
    """A storm's spots are a few streets of one city: the city's places are read once for the
    batch's spots of a block, and the places at a spot's address or point in no territory or
    another are read for each spot, or, when the batch's spots are known beforehand
    (`Candidates.expect`), once for all the spots of a territory and block. Every appeal still
    gets exactly the places of a query of its own, also when that one read would be cut at its
    limit ("cut": each spot then reads its own)."""
    if expected == "cut":
        monkeypatch.setattr(duplicates, "_AROUND_MARGIN", 0)
        settings.TSUR_DUPLICATE_SCAN = 2
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
    if expected != "no":
        cache.expect(appeals)
    # At most: one read per spot and one per territory and block; with the spots expected, one
    # per spot without a territory and three per territory and block (its places, the spellings
    # of its spots' addresses, the places at them elsewhere).
    most = {
        "no": len(spots) + len(shared),
        "yes": len({s for s in spots if not s[0]}) + 3 * len(shared),
        "cut": 4 * len(appeals),  # reads cut at two rows are read again for the appeals they leave short
    }[expected]
    joined: set[int] = set()
    compared = 0
    with django_assert_max_num_queries(most):
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


def test_a_shared_replay_gives_every_appeal_the_lead_of_its_own_search(world, settings, monkeypatch):
    """The batch's search replays the earlier places of a spot once and extends that replay for
    the spot's later appeals (`Candidates.replay`). Every appeal still gets the lead of a search
    of its own (no cache, every place read and replayed for it), also where spots share their
    oldest place but not the rest (an address, the whole city for an appeal with no address), and
    with far fewer messages replayed."""
    import random

    from tsur.triage.duplicates import find_duplicate_lead
    from tsur.triage.engine import duplicates as engine

    settings.TSUR_DUPLICATE_WINDOW_DAYS = 14
    base = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    wordings = (
        "Большая яма на дороге у остановки, машины бьют колёса",
        "Большая яма на дороге у остановки! Машины бьют колеса, сколько можно",
        "Огромная яма у остановки, бьём колёса каждый день",
        "Не горят фонари во дворе, вечером темно и опасно",
    )
    spots = (
        {"address": "ул. Ленина, д. 1"},
        {"address": "ул. Ленина, д. 2"},
        {"address": ""},  # the whole city is its place
        {"address": "ул. Кирова, д. 5", "lat": 54.52, "lon": 36.26},
        {"address": "", "lat": 54.5201, "lon": 36.2601},
    )
    rng = random.Random(11)
    made = [
        new_appeal(
            world, territory_code="city", text=rng.choice(wordings), received_at=base + dt.timedelta(hours=rng.randint(-400, 40)),
            **rng.choice(spots),
        )
        for _ in range(60)
    ]
    appeals = list(Appeal.objects.filter(pk__in=[a.pk for a in made]).select_related("territory", "block").order_by("received_at", "pk"))
    added = {"n": 0}
    real = engine.DuplicateDetector.check_and_add

    def counting(self, *args, **kwargs):
        added["n"] += 1
        return real(self, *args, **kwargs)

    monkeypatch.setattr(engine.DuplicateDetector, "check_and_add", counting)

    def search(cache: Candidates | None) -> list[int | None]:
        joined: set[int] = set()
        leads = []
        for appeal in appeals:
            lead = find_duplicate_lead(appeal, cache, joined=joined)
            leads.append(lead.pk if lead is not None else None)
            if lead is not None:
                joined.add(appeal.pk)  # as the batch does: a joined appeal leaves the candidates
        return leads

    own = search(None)
    own_added, added["n"] = added["n"], 0
    shared = search(Candidates())
    assert shared == own
    assert sum(lead is not None for lead in own) >= 20 and len(set(own) - {None}) >= 3
    assert added["n"] * 3 < own_added


def test_a_shared_read_of_the_places_elsewhere_cut_at_its_limit_is_not_used(world, settings):
    """Two spots of the city, each with a place at its address in another territory: read for
    both at once with room for one row, the newer (the other spot's) would leave this spot none;
    the spot reads its own instead."""
    settings.TSUR_DUPLICATE_WINDOW_DAYS = 14
    base = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    mine = new_appeal(world, territory_code="district", address="ул. Ленина, д. 1", received_at=base - dt.timedelta(days=2))
    new_appeal(world, territory_code="district", address="ул. Ленина, д. 2", received_at=base - dt.timedelta(days=1))
    spots = [new_appeal(world, territory_code="city", address=f"ул. Ленина, д. {n}", received_at=base) for n in (1, 2)]
    appeals = list(Appeal.objects.filter(pk__in=[a.pk for a in spots]).order_by("pk"))
    radius = float(settings.TSUR_DUPLICATE_RADIUS_M)
    since = base - dt.timedelta(days=14)

    def own(after, limit):
        return _candidates_qs(appeals[0], radius, "rest").filter(received_at__gte=after).order_by("-received_at", "-pk").values_list(
            "pk", "address", "lat", "lon", "territory_id", "received_at"
        )[:limit]

    for limit in (1, 2, 5):
        cache = Candidates()
        cache.expect(appeals)
        assert [row[0] for row in cache.rest(appeals[0], since, limit, radius, own)] == [mine.pk]
