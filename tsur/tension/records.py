"""The platform's appeals as the detector's records: place (H3 cell where there are coordinates,
else the territory), topic at two levels (category and block), and the flags that sharpen a point.
Residents' personal data never leave this module: the repeated-complaint key is the address (or
an opaque resident id), used in memory only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import h3
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from tsur.answers.models import Rating
from tsur.appeals import channels
from tsur.appeals.models import OPEN_STATUSES, Appeal, Status
from tsur.core.refcache import Cached
from tsur.directory.models import Regime, Territory
from tsur.monitoring.models import Link, LinkStatus
from tsur.tension.engine.config import Flag
from tsur.tension.engine.model import BLOCK, CATEGORY, Record, SeriesKey

# Appeals that are not problems of the place: refused ones (spam, tests, not our competence).
NOT_COUNTED = (Status.REJECTED,)
LOW_RATING = 2


@dataclass(frozen=True)
class Placed:
    """Where an appeal counts: its place, the territory it lies in, and their kind."""

    place: str
    kind: str  # "cell" | "territory"
    territory_id: int | None


def _territory_rows() -> tuple[tuple[int, str, int | None], ...]:
    return tuple(Territory.objects.values_list("pk", "code", "parent_id"))


# Read by every recount and every batch of changed appeals (all the territories, each time): kept
# per process for TSUR_REFERENCE_CACHE_SECONDS and forgotten when a territory is saved.
_TERRITORIES = Cached("tension-territories", _territory_rows, watch=[Territory])


class Places:
    """Territory codes and parents (kept per process, tsur.core.refcache)."""

    def __init__(self) -> None:
        rows = _TERRITORIES.get()
        self.code = {pk: code for pk, code, _ in rows}
        self.parent = {pk: parent for pk, _, parent in rows}
        self.by_code = {code: pk for pk, code in self.code.items()}

    def of(self, lat: float | None, lon: float | None, territory_id: int | None, resolution: int) -> Placed | None:
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            return Placed(h3.latlng_to_cell(lat, lon, resolution), "cell", territory_id)
        if territory_id is not None:
            return Placed(self.code[territory_id], "territory", territory_id)
        return None

    def parent_of(self, placed: Placed) -> str:
        if placed.territory_id is None:
            return ""
        if placed.kind == "cell":
            return self.code[placed.territory_id]
        parent = self.parent.get(placed.territory_id)
        return self.code[parent] if parent else ""


def load(
    block_id: int, since: dt.date, now: dt.datetime, resolution: int, places: Places, *, ids: Iterable[int] | None = None
) -> tuple[list[Record], dict[int, Placed], dict[int, dt.datetime]]:
    """The records of a block's appeals received since `since` (only these `ids` when given), the
    place of each appeal by id, and when each was received. `ids` (a query of them, too) is read
    once and sent as one array to each of the three reads below: the incremental recompute's ids
    are the thousands of appeals a storm piles on a few places, which were read back once per read
    and sent as one parameter each."""
    if ids is not None:
        ids = list(ids)
    start = timezone.make_aware(dt.datetime.combine(since, dt.time.min))
    # The local day and the open/overdue state are computed by the database: converting a
    # date-time per row in Python is most of the cost of a large block.
    zone = timezone.get_current_timezone()
    open_now = Q(status__in=OPEN_STATUSES)
    chosen = Appeal.objects.filter(block_id=block_id, category__isnull=False, received_at__gte=start, received_at__lte=now)
    if ids is not None:
        chosen = chosen.filter(pk__any_of=ids)
    rows = (
        chosen.exclude(status__in=NOT_COUNTED)
        .annotate(
            day=TruncDate("received_at", tzinfo=zone),
            is_open=ExpressionWrapper(open_now, output_field=BooleanField()),
            is_overdue=ExpressionWrapper(open_now & Q(due_at__lt=now), output_field=BooleanField()),
        )
        .values_list(
            "pk", "day", "lat", "lon", "territory_id", "category__code", "block__key", "is_open", "is_overdue",
            "reopened_count", "problem_id", "problem__lead_id", "channel", "address", "resident_id", "received_at",
        )  # fmt: skip
    )
    ratings = Rating.objects.filter(appeal__block_id=block_id, appeal__received_at__gte=start, score__lte=LOW_RATING)
    if ids is not None:
        ratings = ratings.filter(appeal_id__any_of=ids)
    low = set(ratings.values_list("appeal_id", flat=True))
    # Objective monitoring confirms an appeal when an event is linked with it (not rejected by an operator).
    links = Link.objects.filter(appeal__block_id=block_id, appeal__received_at__gte=start).exclude(status=LinkStatus.REJECTED)
    if ids is not None:
        links = links.filter(appeal_id__any_of=ids)
    confirmed = set(links.values_list("appeal_id", flat=True))
    records: list[Record] = []
    placed_of: dict[int, Placed] = {}
    received_of: dict[int, dt.datetime] = {}
    social = {code for code in channels.known() if channels.regime(code) == Regime.INCIDENT}
    for pk, day, lat, lon, territory_id, category, block, is_open, is_overdue, reopened, problem, lead, channel, address, resident, received in rows:
        placed = places.of(lat, lon, territory_id, resolution)
        if placed is None:
            continue
        placed_of[pk] = placed
        received_of[pk] = received
        flags = 0
        if is_open:
            flags |= Flag.UNRESOLVED
        if is_overdue:
            flags |= Flag.OVERDUE
        if reopened:
            flags |= Flag.REOPENED
        if problem is not None and lead != pk:
            flags |= Flag.DUPLICATE
        if channel in social:
            flags |= Flag.SOCIAL
        if pk in low:
            flags |= Flag.LOW_RATING
        if pk in confirmed:
            flags |= Flag.CONFIRMED
        source = " ".join(address.lower().split()) if address else (f"r{resident}" if resident else "")
        records.append(
            Record(
                day=day,
                place=placed.place,
                parent_place=places.parent_of(placed),
                topic=category,
                block=block,
                id=str(pk),
                source=source,
                flags=flags,
            )
        )
    return records, placed_of, received_of


def keys_of(appeals: Iterable[Appeal], resolution: int, places: Places) -> set[tuple[int, SeriesKey]]:
    """(block id, series) pairs the appeals count in."""
    out: set[tuple[int, SeriesKey]] = set()
    for a in appeals:
        if a.block_id is None or a.category_id is None or a.status in NOT_COUNTED:
            continue
        placed = places.of(a.lat, a.lon, a.territory_id, resolution)
        if placed is None:
            continue
        out.add((a.block_id, SeriesKey(placed.place, CATEGORY, a.category.code)))
        out.add((a.block_id, SeriesKey(placed.place, BLOCK, a.block.key)))
    return out
