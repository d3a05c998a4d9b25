"""Near-duplicates: the database search for an open appeal about the same problem at the same
place (the triage engine's DuplicateDetector compares the texts), and what is joined
automatically. `TriageBatch.after` runs it for a batch and joins what it found with
`join_to_problems`, one transaction for the batch."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math

from django.conf import settings
from django.db.models import Q

from tsur.appeals.models import OPEN_STATUSES, Appeal
from tsur.directory.models import Regime

_METRES_PER_DEGREE_LAT = 111_320.0
# The coordinate prefilter's box reaches this many radii from the point (about ±0.003° of
# latitude for the default 150 m, the box it always had): a box, not a circle, in degrees, not
# metres, so it is kept wide enough never to drop a candidate the exact distance test would keep.
_BOX_RADII = 2.2
# A batch reads the places around one spot once for all its appeals there (a storm's appeals
# share a few spots): this many rows beyond the scan, for the batch's own later appeals, which
# the search of each appeal drops (they are not earlier).
_AROUND_MARGIN = 1000

# Replays of the earlier places kept per lineage (`Candidates.replay`): a few spots share one.
_REPLAYS_KEPT = 8

AUTO_JOIN_REASON = "автоматически: та же проблема, то же место"


def joins_automatically(appeal: Appeal, lead: Appeal) -> bool:
    """Joined automatically, except 59-FZ appeals: the law wants each answered on its own, so the
    duplicate is only suggested (shown on the card) for an operator to decide."""
    return appeal.regime != Regime.APPEAL and lead.regime != Regime.APPEAL


class Candidates:
    """What the duplicate search reads, kept for one batch: the candidates of its appeals overlap
    (same place, same window), so each is read and its text cut into n-grams once per batch
    instead of once per new appeal; the places around one spot are read once for all the batch's
    appeals at that spot, and those of a territory once for all its spots (`around`); a lead is
    read once."""

    def __init__(self) -> None:
        self._seen: dict[int, dict] = {}
        self._around: dict[tuple, tuple[dt.datetime, list[tuple], bool]] = {}
        self._shared: dict[tuple, tuple[dt.datetime, list[tuple], bool, list[dt.datetime]]] = {}
        self._leads: dict[str, Appeal | None] = {}
        self._addresses: dict[str, str] = {}
        self._keys: dict[tuple, list[tuple]] = {}
        self._replays: dict[tuple, list[tuple[tuple[int, ...], object]]] = {}
        self._expected: dict[tuple, tuple[dt.datetime, set[tuple]]] = {}
        self._rests: dict[tuple, tuple[dict[str, str], list[tuple]] | None] = {}
        from tsur.triage.engine.duplicates import Similarities

        # The batch's searches compare the same candidates' texts again and again.
        self.similarities = Similarities()

    def address(self, address: str) -> str:
        """`normalise_address`, once per batch for each spelling: each appeal's search compares
        its address with those of every place around it, the same few thousand for a storm."""
        found = self._addresses.get(address)
        if found is None:
            from tsur.triage.engine.duplicates import normalise_address

            found = self._addresses[address] = normalise_address(address)
        return found

    def around(self, spot: tuple, since: dt.datetime, read, split=None) -> tuple[list[tuple], bool] | None:
        """The open appeals at `spot` received since `since`, newest first, as `read(since,
        limit)` returns them (pk, address, lat, lon, territory id, received at), and whether
        that is all of them (the read was not cut at its limit); None when the spot was read
        for a later `since` (an appeal received earlier than the one that read it).

        `split()`, (key, read_shared, read_rest) or None: the same places as two disjoint parts, the one
        the batch's other spots share (its territory's: a storm's spots are a few streets of one
        city, and each read of the whole spot returned the city's thousands of open appeals), read
        once per batch under `key`, and the rest (another territory's places at its address or
        point, usually none; `read_rest` None when the spot has neither)."""
        if spot not in self._around:
            limit = settings.TSUR_DUPLICATE_SCAN + _AROUND_MARGIN
            parts = split() if split is not None else None
            found = self._joined_parts(since, limit, *parts) if parts is not None else None
            if found is None:
                rows = list(read(since, limit))
                found = (rows, len(rows) < limit)
            self._around[spot] = (since, *found)
        read_since, rows, complete = self._around[spot]
        if since < read_since:
            return None
        return rows, complete

    def _joined_parts(self, since: dt.datetime, limit: int, key: tuple, read_shared, read_rest) -> tuple[list[tuple], bool] | None:
        """The first `limit` rows of the union of the shared part and the rest, newest first, and
        whether that is all of them: what one read of the whole spot returns. None when the
        shared part was read for a later `since`."""
        if key not in self._shared:
            rows = list(read_shared(since, limit))
            self._shared[key] = (since, rows, len(rows) < limit, [row[5] for row in reversed(rows)])
        shared_since, shared, complete, ascending = self._shared[key]
        if since < shared_since:
            return None
        # Newest first: the rows since this spot's `since` are a prefix. When the read went past
        # `since` (rows older than it follow), that prefix is all of them.
        n = len(shared) - bisect.bisect_left(ascending, since)
        mine, complete = shared[:n], complete or n < len(shared)
        rest = list(read_rest(since, limit)) if read_rest is not None else []
        if rest:
            mine = sorted(mine + rest, key=lambda row: (row[5], row[0]), reverse=True)
        return mine[:limit], complete and len(rest) < limit and len(mine) < limit

    def keys(self, spot: tuple) -> list[tuple]:
        """(received at, pk) of the rows `around` read at `spot`, ascending (the rows are newest
        first)."""
        if spot not in self._keys:
            self._keys[spot] = [(row[5], row[0]) for row in reversed(self._around[spot][1])]
        return self._keys[spot]

    def expect(self, appeals: list[Appeal]) -> None:
        """The batch's appeals, before their searches: the places at their addresses or points in
        another territory or none (`rest`) are then read once for each territory and block, for
        all its spots, instead of once per spot."""
        window = dt.timedelta(days=settings.TSUR_DUPLICATE_WINDOW_DAYS)
        for a in appeals:
            if a.territory_id and (a.address or a.lat is not None):
                since, spots = self._expected.get((a.territory_id, a.block_id), (a.received_at - window, set()))
                spots.add((a.address, a.lat, a.lon))
                self._expected[a.territory_id, a.block_id] = (min(since, a.received_at - window), spots)

    def rest(self, appeal: Appeal, since: dt.datetime, limit: int, radius_m: float, read) -> list[tuple]:
        """The open appeals at `appeal`'s address or point in another territory or none, received
        since `since`, newest first, at most `limit`: what `read(since, limit)` returns. For an
        expected spot (`expect`) they are picked from one read of every expected spot of its
        territory and block; the addresses are compared as the database's UPPER spells them
        (what `address__iexact` compares), the points by the same box. When that read was cut
        at its limit, each spot reads its own."""
        group = (appeal.territory_id, appeal.block_id)
        expected_since, spots = self._expected.get(group, (None, ()))
        if (appeal.address, appeal.lat, appeal.lon) in spots and since >= expected_since:
            if group not in self._rests:
                self._rests[group] = _read_rests(appeal, spots, expected_since, limit, radius_m)
            found = self._rests[group]
            if found is not None:
                uppers, rows = found
                upper = uppers.get(appeal.address) if appeal.address else None
                box = _box(appeal.lat, appeal.lon, radius_m) if appeal.lat is not None else None
                mine = (row[:6] for row in rows if row[5] >= since and _at(row, upper, box))
                return list(itertools.islice(mine, limit))
        return list(read(since, limit))

    def replay(self, keep: list[int], window: dt.timedelta, radius_m: float):
        """A DuplicateDetector that has seen the places `keep` (`get`) in the order they came,
        for `DuplicateDetector.match`. The detector's decisions depend only on the messages it
        has seen and their order, so the replay is shared: in a storm most appeals of a spot are
        joined and leave the candidates, and the next appeal there replays the same list again
        (or the same list and the appeals since); replaying up to TSUR_DUPLICATE_CANDIDATES
        messages compares each with every earlier one. The last replays of each lineage (the
        oldest message and the detector's parameters; the spots of a street share it) are kept,
        and one is extended when a later list starts with its list; any other list is replayed
        from the start."""
        from tsur.triage.engine.duplicates import DuplicateDetector

        rows = self.get(keep)
        key = tuple(c["pk"] for c in rows)
        kept = self._replays.setdefault((key[0] if key else None, window, radius_m), [])
        prefixes = [i for i, (seen, _detector) in enumerate(kept) if key[: len(seen)] == seen]
        if prefixes:
            i = max(prefixes, key=lambda i: len(kept[i][0]))
            (seen, detector) = kept.pop(i)
            done = len(seen)
        else:
            detector, done = DuplicateDetector(window=window, radius_m=radius_m, similarities=self.similarities), 0
        kept.append((key, _replayed(detector, rows[done:])))
        del kept[:-_REPLAYS_KEPT]
        return detector

    def lead(self, number: str) -> Appeal | None:
        if number not in self._leads:
            # Only what the search and the join decision read (a whole appeal and its problem's
            # lead are ~300 columns: building them cost ~10 ms a lead, more than the query).
            self._leads[number] = (
                Appeal.objects.select_related("problem__lead")
                .only("number", "regime", "problem__lead__number", "problem__lead__regime")
                .filter(number=number)
                .first()
            )
        return self._leads[number]

    def get(self, pks: list[int]) -> list[dict]:
        from tsur.triage.engine.duplicates import DuplicateDetector

        missing = [pk for pk in pks if pk not in self._seen]
        if missing:
            for c in (
                Appeal.objects.filter(pk__in=missing)
                .select_related("territory", "block")
                .only("number", "text", "territory__code", "block__key", "address", "lat", "lon", "received_at")
            ):
                self._seen[c.pk] = {
                    "id": c.number,
                    "grams": self.similarities.same(DuplicateDetector.text_grams(c.text)),
                    "territory": c.territory.code if c.territory_id else None,
                    "address": c.address or None,
                    "lat": c.lat,
                    "lon": c.lon,
                    "created_at": c.received_at,
                    "block": c.block.key if c.block_id else None,
                    "pk": c.pk,
                }
        found = [self._seen[pk] for pk in pks if pk in self._seen]
        return sorted(found, key=lambda c: (c["created_at"], c["pk"]))  # in the order they came


def find_duplicate_lead(
    appeal: Appeal, candidates: Candidates | None = None, *, joined: set[int] | frozenset[int] = frozenset()
) -> Appeal | None:
    """An open appeal about the same problem at the same place within the window, or None.
    Earlier means received earlier, or at the same moment with a smaller id (the appeals of one
    batch can share their receipt time). `joined`: appeals about to be joined (by the batch's
    earlier searches), no longer candidates, as if their joins were written already."""
    from tsur.lib.geo import distance_km
    from tsur.triage.engine.duplicates import DuplicateDetector, normalise_address

    window = dt.timedelta(days=settings.TSUR_DUPLICATE_WINDOW_DAYS)
    radius_m = float(settings.TSUR_DUPLICATE_RADIUS_M)  # one radius for the place prefilter and the detector
    since = appeal.received_at - window
    if not (appeal.territory_id or appeal.address or appeal.lat is not None):
        return None
    places = _earlier_places(appeal, lambda: _candidates_qs(appeal, radius_m), since, candidates, joined, radius_m)
    # Only the places are read for the whole territory; texts are read for the messages the
    # detector would compare (same normalised address, a point within its radius, or the territory
    # when one of the two has no finer place), newest first and bounded, so a city with thousands
    # of open appeals costs one light query, not thousands of text comparisons.
    normalised = candidates.address if candidates is not None else normalise_address
    wanted = normalised(appeal.address) if appeal.address else ""
    coarse = not wanted and appeal.lat is None
    keep: list[int] = []
    for pk, address, lat, lon, territory_id, _received in places:
        same_territory = appeal.territory_id is not None and territory_id == appeal.territory_id
        if (
            (wanted and address and normalised(address) == wanted)
            or (appeal.lat is not None and lat is not None and distance_km(appeal.lat, appeal.lon, lat, lon) * 1000 <= radius_m)
            or (same_territory and (coarse or (not address and lat is None)))
        ):
            keep.append(pk)
            if len(keep) >= settings.TSUR_DUPLICATE_CANDIDATES:
                break
    if not keep:
        return None
    if candidates is not None:
        detector = candidates.replay(keep, window, radius_m)
    else:
        detector = _replayed(DuplicateDetector(window=window, radius_m=radius_m), Candidates().get(keep))  # the prefilter's radius
    lead_number = detector.match(
        appeal.text, territory=appeal.territory.code if appeal.territory_id else None,
        address=appeal.address or None, lat=appeal.lat, lon=appeal.lon, created_at=appeal.received_at,
        block=appeal.block.key if appeal.block_id else None,
    )
    if not lead_number:
        return None
    lead = (candidates or Candidates()).lead(lead_number)
    if lead is not None and lead.problem_id and lead.problem.lead_id != lead.pk:
        lead = lead.problem.lead
    return lead


def _read_rests(appeal: Appeal, spots: set[tuple], since: dt.datetime, limit: int, radius_m: float):
    """(each address as the database's UPPER spells it, the open appeals of `appeal`'s block at
    any of `spots` in another territory than `appeal`'s or none, received since `since`, newest
    first, each with its UPPER address last), or None when there are `limit` or more of them."""
    from django.db import connection
    from django.db.models.functions import Upper

    addresses = sorted({address for address, _lat, _lon in spots if address})
    uppers: dict[str, str] = {}
    if addresses:
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["UPPER(%s)"] * len(addresses)), addresses)
            uppers = dict(zip(addresses, cursor.fetchone(), strict=True))
    place = Q(upper_address__in=sorted(set(uppers.values()))) if uppers else Q()
    for _address, lat, lon in spots:
        if lat is not None:
            place |= _in_box(_box(lat, lon, radius_m))
    qs = _open_of_block(appeal, place & ~Q(territory_id=appeal.territory_id), Appeal.objects.annotate(upper_address=Upper("address")))
    columns = ("pk", "address", "lat", "lon", "territory_id", "received_at", "upper_address")
    rows = list(qs.filter(received_at__gte=since).order_by("-received_at", "-pk").values_list(*columns)[:limit])
    return (uppers, rows) if len(rows) < limit else None


def _at(row: tuple, upper: str | None, box: tuple[float, float, float, float] | None) -> bool:
    """Whether a row of `_read_rests` is at the spot: its address (UPPER) or inside its box."""
    if upper is not None and row[6] == upper:
        return True
    lat, lon = row[2], row[3]
    return box is not None and lat is not None and lon is not None and box[0] <= lat <= box[1] and box[2] <= lon <= box[3]


def _replayed(detector, rows: list[dict]):
    """The detector after it has seen `rows` (`Candidates.get`), in their order."""
    for c in rows:
        detector.check_and_add(
            c["id"], "", territory=c["territory"], address=c["address"], lat=c["lat"], lon=c["lon"],
            created_at=c["created_at"], block=c["block"], grams=c["grams"],
        )
    return detector


def _candidates_qs(appeal: Appeal, radius_m: float, part: str = "all"):
    """The open appeals at the appeal's place (its territory, its address or a box around its
    point) of its block or of none. `part`: "territory", those of its territory only; "rest",
    those at its address or point in no territory or another (None when it has neither)."""
    place = Q()
    if appeal.territory_id and part != "rest":
        place |= Q(territory_id=appeal.territory_id)
    if part == "territory":
        return _open_of_block(appeal, place)
    if appeal.address:
        place |= Q(address__iexact=appeal.address)
    if appeal.lat is not None:
        place |= _in_box(_box(appeal.lat, appeal.lon, radius_m))
    if part == "rest":
        if not place:
            return None
        place &= ~Q(territory_id=appeal.territory_id)  # NULL territories included
    return _open_of_block(appeal, place)


def _box(lat: float, lon: float, radius_m: float) -> tuple[float, float, float, float]:
    """(south, north, west, east) of the prefilter's box around a point."""
    dlat = _BOX_RADII * radius_m / _METRES_PER_DEGREE_LAT
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)  # a degree of longitude shrinks towards the pole
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def _in_box(box: tuple[float, float, float, float]) -> Q:
    return Q(lat__range=box[:2], lon__range=box[2:])


def _open_of_block(appeal: Appeal, place: Q, appeals=None):
    qs = (Appeal.objects if appeals is None else appeals).filter(place, status__in=OPEN_STATUSES)
    if appeal.block_id:  # the detector never joins messages of two different blocks
        qs = qs.filter(Q(block_id=appeal.block_id) | Q(block__isnull=True))
    return qs


def _earlier_places(
    appeal: Appeal,
    candidates_qs,
    since: dt.datetime,
    candidates: Candidates | None,
    joined: set[int] | frozenset[int],
    radius_m: float | None = None,
) -> list[tuple]:
    """The places of the open appeals at the appeal's spot received before it (or at the same
    moment with a smaller id) and since `since`, newest first, at most TSUR_DUPLICATE_SCAN, none
    of `joined`. Read once per spot and batch when `candidates` keeps them: a read cut at its
    limit that leaves fewer than the scan for this appeal is done again for it alone.
    `candidates_qs` builds the query only when a read is due: building it (a few Q objects) cost
    more than the batch's reads of a spot it already holds. With `radius_m` (the one
    `candidates_qs` uses), the spots of one territory and block share the read of the
    territory's places (`Candidates.around`)."""
    scan = settings.TSUR_DUPLICATE_SCAN
    columns = ("pk", "address", "lat", "lon", "territory_id", "received_at")

    def reader(qs):
        def read(after: dt.datetime, limit: int):
            return qs().filter(received_at__gte=after).order_by("-received_at", "-pk").values_list(*columns)[:limit]

        return read

    if candidates is not None:
        spot = (appeal.territory_id, (appeal.address or "").lower(), appeal.lat, appeal.lon, appeal.block_id)

        def split() -> tuple | None:
            if not appeal.territory_id or radius_m is None:
                return None
            # Its own read of the places elsewhere (built only if used: the batch's one read of
            # them usually answers); none without an address or a point.
            has_place = bool(appeal.address) or appeal.lat is not None
            own = reader(lambda: _candidates_qs(appeal, radius_m, "rest")) if has_place else None
            return (
                (appeal.territory_id, appeal.block_id),
                reader(lambda: _candidates_qs(appeal, radius_m, "territory")),
                (lambda after, limit: candidates.rest(appeal, after, limit, radius_m, own)) if own is not None else None,
            )

        found = candidates.around(spot, since, reader(candidates_qs), split)
        if found is not None:
            rows, complete = found
            # The rows are newest first, so the earlier ones are one slice of them: found by
            # bisection on the ascending keys instead of testing every row (a storm's spot holds
            # thousands), and cut at the scan.
            keys = candidates.keys(spot)
            start = len(keys) - bisect.bisect_left(keys, (appeal.received_at, appeal.pk))
            stop = len(keys) - bisect.bisect_left(keys, (since,))
            kept = list(itertools.islice((row for row in rows[start:stop] if row[0] not in joined), scan))
            if complete or len(kept) >= scan:
                return kept
    qs = candidates_qs().filter(Q(received_at__lt=appeal.received_at) | Q(received_at=appeal.received_at, pk__lt=appeal.pk))
    if joined:
        qs = qs.exclude(pk__in=joined)
    return list(qs.filter(received_at__gte=since).order_by("-received_at", "-pk").values_list(*columns)[:scan])
