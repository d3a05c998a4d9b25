"""Matching events with residents' appeals, both ways, in batches.

- `match_events(ids)`: events find appeals (one query of candidate appeals per batch of events
  close in time, bounded by the batch's box, time window and topics; pairs scored in memory over a
  grid of the box); `match_pending(limit)` does it for events waiting (matched_at null) and marks them.
- `match_appeals(ids)`: a new, moved or reclassified appeal finds the events around it.

Links are written with the pair's score and Russian reason (tsur.monitoring.scoring). A link an
operator confirmed or rejected is never touched again by the matcher; an automatic link the pair
no longer earns (the appeal moved away, was reclassified, refused) is removed. The appeals whose
links changed are told to `closure` (roles, proof of closure) and published on `evidence_changed`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from tsur.appeals.models import Appeal, Status
from tsur.core import clock
from tsur.core.db import copy_rows, update_rows
from tsur.core.tasks import gather
from tsur.monitoring import closure
from tsur.monitoring.models import EventKind, EventState, Link, LinkStatus, MonitoringEvent, PendingAppeal
from tsur.monitoring.scoring import AppealFacts, EventFacts, Match, address_keys, score

# Events of one candidate query lie within this span of their own times: a late event from last
# week does not widen the window of today's batch.
CHUNK_SPAN = dt.timedelta(hours=24)
# An answered appeal still hears of a recurrence (the contradiction of its answer) this long after
# it was received.
RECURRENCE_DAYS = 30
# Appeals that are no problem of the place (spam, tests) never link.
NOT_MATCHED = (Status.REJECTED,)
GRID_DEG = 0.01  # ≈ 1.1 km of latitude: the in-memory buckets of candidate appeals
KM_PER_DEG = 111.2


@dataclass(frozen=True)
class Kind:
    pk: int
    name: str
    radius_m: int
    before_hours: int
    after_hours: int
    category_ids: frozenset[int]
    block_ids: frozenset[int]
    resolution: str = ""
    quiet_hours: int = 0


def load_kinds() -> dict[int, Kind]:
    """Every event kind with its categories and their blocks (a small table, read per batch)."""
    cats: dict[int, set[int]] = defaultdict(set)
    blocks: dict[int, set[int]] = defaultdict(set)
    through = EventKind.categories.through.objects.values_list("eventkind_id", "category_id", "category__block_id")
    for kind_id, category_id, block_id in through:
        cats[kind_id].add(category_id)
        blocks[kind_id].add(block_id)
    return {
        k.pk: Kind(
            k.pk, k.name, k.radius_m, k.before_hours, k.after_hours, frozenset(cats[k.pk]), frozenset(blocks[k.pk]), k.resolution, k.quiet_hours
        )
        for k in EventKind.objects.all()
    }


EVENT_FIELDS = (
    "pk", "kind_id", "occurred_at", "lat", "lon", "cell", "address", "territory_id", "version", "state", "resolved_at", "version_at",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Found:
    """A pair worth a link: the score and reason, and the role the link starts with."""

    match: Match
    role: str
    role_at: dt.datetime | None


def _found(m: Match, e: dict, kind: Kind, published_at: dt.datetime | None, now: dt.datetime) -> Found:
    role, at = closure.role_of(e["state"], e["occurred_at"], e["resolved_at"], e["version_at"], kind.resolution, kind.quiet_hours, published_at, now)
    return Found(m, role, at)


APPEAL_FIELDS = (
    "pk", "received_at", "published_at", "lat", "lon", "address", "territory_id", "territory__name",
    "category_id", "category__name", "block_id", "block__name", "problem_id",
)  # fmt: skip


def _event_facts(row: dict, kind: Kind) -> EventFacts:
    return EventFacts(
        occurred_at=row["occurred_at"],
        kind_name=kind.name,
        radius_m=kind.radius_m,
        before_hours=kind.before_hours,
        after_hours=kind.after_hours,
        category_ids=kind.category_ids,
        block_ids=kind.block_ids,
        lat=row["lat"],
        lon=row["lon"],
        cell=row["cell"] or "",
        address=row["address"] or "",
        territory_id=row["territory_id"],
    )


def _appeal_facts(row: dict) -> AppealFacts:
    return AppealFacts(
        received_at=row["received_at"],
        published_at=row["published_at"],
        category_id=row["category_id"],
        block_id=row["block_id"],
        category_name=row["category__name"] or "",
        block_name=row["block__name"] or "",
        lat=row["lat"],
        lon=row["lon"],
        address=row["address"] or "",
        territory_id=row["territory_id"],
        territory_name=row["territory__name"] or "",
    )


def _has_point(lat: float | None, lon: float | None) -> bool:
    return lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180


class _Index:
    """Candidate appeals (or events) by grid bucket, by territory (those without a point) and by
    street, so each pair worth scoring is found without comparing every pair."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        self.pointless_by_territory: dict[int, list[int]] = defaultdict(list)
        self.by_territory: dict[int, list[int]] = defaultdict(list)
        self.by_street: dict[str, list[int]] = defaultdict(list)
        for i, r in enumerate(rows):
            if _has_point(r["lat"], r["lon"]):
                self.grid[(math.floor(r["lat"] / GRID_DEG), math.floor(r["lon"] / GRID_DEG))].append(i)
            elif r["territory_id"] is not None:
                self.pointless_by_territory[r["territory_id"]].append(i)
            if r["territory_id"] is not None:
                self.by_territory[r["territory_id"]].append(i)
            street, _ = address_keys(r["address"] or "")
            if street:
                self.by_street[street].append(i)

    def near(self, lat: float | None, lon: float | None, radius_m: int, territory_id: int | None, address: str) -> set[int]:
        found: set[int] = set()
        if _has_point(lat, lon):
            # The radius, or the neighbouring H3 cells (≈ 0.5 km at resolution 9), whichever is wider.
            reach_km = max(radius_m, 600) / 1000
            dlat = reach_km / KM_PER_DEG
            dlon = reach_km / (KM_PER_DEG * max(math.cos(math.radians(lat)), 0.05))  # type: ignore[arg-type]
            for i in range(math.floor((lat - dlat) / GRID_DEG), math.floor((lat + dlat) / GRID_DEG) + 1):  # type: ignore[operator]
                for j in range(math.floor((lon - dlon) / GRID_DEG), math.floor((lon + dlon) / GRID_DEG) + 1):  # type: ignore[operator]
                    found.update(self.grid.get((i, j), ()))
            if territory_id is not None:
                found.update(self.pointless_by_territory.get(territory_id, ()))
        elif territory_id is not None:
            found.update(self.by_territory.get(territory_id, ()))
        street, _ = address_keys(address)
        if street:
            found.update(self.by_street.get(street, ()))
        return found


def _box(rows: Iterable[dict], reach_m: int) -> Q | None:
    """The bounding box of the rows' points widened by `reach_m`; None if some row has no point
    (it may then match anywhere in its territory)."""
    pts = [(r["lat"], r["lon"]) for r in rows]
    if not pts or any(not _has_point(la, lo) for la, lo in pts):
        return None
    lats, lons = [p[0] for p in pts], [p[1] for p in pts]
    reach_km = max(reach_m, 600) / 1000
    dlat = reach_km / KM_PER_DEG
    dlon = reach_km / (KM_PER_DEG * max(math.cos(math.radians(max(abs(min(lats)), abs(max(lats))))), 0.05))
    return Q(lat__range=(min(lats) - dlat, max(lats) + dlat), lon__range=(min(lons) - dlon, max(lons) + dlon))


def _chunks(rows: list[dict], at: str) -> list[list[dict]]:
    rows = sorted(rows, key=lambda r: r[at])
    out: list[list[dict]] = []
    for r in rows:
        if out and r[at] - out[-1][0][at] <= CHUNK_SPAN:
            out[-1].append(r)
        else:
            out.append([r])
    return out


def _candidate_appeals(events: list[dict], kinds: dict[int, Kind]) -> list[dict]:
    ks = [kinds[e["kind_id"]] for e in events]
    cats = set().union(*(k.category_ids for k in ks))
    blocks = set().union(*(k.block_ids for k in ks))
    if not blocks:
        return []
    start = min(e["occurred_at"] - dt.timedelta(hours=kinds[e["kind_id"]].before_hours) for e in events)
    end = max(e["occurred_at"] + dt.timedelta(hours=kinds[e["kind_id"]].after_hours) for e in events)
    first, last = min(e["occurred_at"] for e in events), max(e["occurred_at"] for e in events)
    longest_before = dt.timedelta(hours=max(k.before_hours for k in ks))
    # Received within the events' windows, or answered shortly before one of them (a recurrence).
    when = Q(received_at__range=(start, end)) | Q(
        received_at__range=(first - dt.timedelta(days=RECURRENCE_DAYS), end),
        published_at__range=(first - longest_before, last),
    )
    where = Q(lat__isnull=True) | Q(lon__isnull=True)
    box = _box(events, max(k.radius_m for k in ks))
    if box is not None:
        where |= box
    else:
        where = Q()
    qs = (
        Appeal.objects.filter(when, Q(category_id__in=cats) | Q(block_id__in=blocks))
        .filter(where)
        .exclude(status__in=NOT_MATCHED)
        .values(*APPEAL_FIELDS)
    )
    return list(qs)


def _pairs_for_events(events: list[dict], kinds: dict[int, Kind]) -> dict[tuple[int, int], Found]:
    now = clock.now()
    found: dict[tuple[int, int], Found] = {}
    for chunk in _chunks(events, "occurred_at"):
        appeals = _candidate_appeals(chunk, kinds)
        if not appeals:
            continue
        index = _Index(appeals)
        facts = [_appeal_facts(a) for a in appeals]
        for e in chunk:
            kind = kinds[e["kind_id"]]
            ef = _event_facts(e, kind)
            for i in index.near(e["lat"], e["lon"], kind.radius_m, e["territory_id"], e["address"] or ""):
                m = score(ef, facts[i])
                if m is not None:
                    found[(e["pk"], appeals[i]["pk"])] = _found(m, e, kind, appeals[i]["published_at"], now)
    return found


def _candidate_events(appeals: list[dict], kinds: dict[int, Kind]) -> list[dict]:
    if not kinds:
        return []
    cats = {a["category_id"] for a in appeals if a["category_id"]}
    blocks = {a["block_id"] for a in appeals if a["block_id"]}
    kind_ids = [k.pk for k in kinds.values() if k.category_ids & cats or k.block_ids & blocks]
    if not kind_ids:
        return []
    longest_after = dt.timedelta(hours=max(kinds[k].after_hours for k in kind_ids))
    longest_before = dt.timedelta(hours=max(kinds[k].before_hours for k in kind_ids))
    first, last = min(a["received_at"] for a in appeals), max(a["received_at"] for a in appeals)
    when = Q(occurred_at__range=(first - longest_after, last + longest_before))
    for a in appeals:
        if a["published_at"] is not None:
            when |= Q(occurred_at__range=(a["published_at"], a["published_at"] + longest_before))
    where = Q(lat__isnull=True) | Q(lon__isnull=True)
    box = _box(appeals, max(kinds[k].radius_m for k in kind_ids))
    where = where | box if box is not None else Q()
    return list(MonitoringEvent.objects.filter(when, kind_id__in=kind_ids).filter(where).values(*EVENT_FIELDS))


def _pairs_for_appeals(appeals: list[dict], kinds: dict[int, Kind]) -> dict[tuple[int, int], Found]:
    now = clock.now()
    found: dict[tuple[int, int], Found] = {}
    for chunk in _chunks(appeals, "received_at"):
        events = _candidate_events(chunk, kinds)
        if not events:
            continue
        index = _Index(events)
        efacts = [_event_facts(e, kinds[e["kind_id"]]) for e in events]
        reach = max(k.radius_m for k in kinds.values())
        for a in chunk:
            af = _appeal_facts(a)
            for i in index.near(a["lat"], a["lon"], reach, a["territory_id"], a["address"] or ""):
                m = score(efacts[i], af)
                if m is not None:
                    found[(events[i]["pk"], a["pk"])] = _found(m, events[i], kinds[events[i]["kind_id"]], a["published_at"], now)
    return found


def _write(found: dict[tuple[int, int], Found], existing: Q) -> set[int]:
    """Make the automatic links in `existing` (the links of the events or appeals just matched)
    what `found` says; operators' decisions stay. Returns the appeals whose links changed."""
    now = clock.now()
    changed: set[int] = set()
    current = {
        (lk.event_id, lk.appeal_id): lk for lk in Link.objects.filter(existing).only("pk", "event_id", "appeal_id", "status", "score", "reason")
    }
    new, updated, stale = [], [], []
    for pair, f in found.items():
        m = f.match
        lk = current.get(pair)
        if lk is None:
            new.append(
                Link(event_id=pair[0], appeal_id=pair[1], score=m.score, reason=m.reason[:500], created_at=now, role=f.role, role_at=f.role_at)
            )
            changed.add(pair[1])
        elif lk.status == LinkStatus.AUTO and (abs(lk.score - m.score) > 1e-9 or lk.reason != m.reason[:500]):
            lk.score, lk.reason = m.score, m.reason[:500]
            updated.append(lk)
    for pair, lk in current.items():
        if pair not in found and lk.status == LinkStatus.AUTO:
            stale.append(lk.pk)
            changed.add(pair[1])
    if new:
        try:
            with transaction.atomic():
                copy_rows(Link, new)  # COPY on PostgreSQL: a batch's thousands of links in one statement
        except IntegrityError:
            # A pair another worker (an appeal's matching) linked meanwhile is left as it is.
            Link.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    if updated:
        update_rows(Link, updated, ["score", "reason"])
    if stale:
        Link.objects.filter(pk__in=stale, status=LinkStatus.AUTO).delete()
    return changed


def match_events(event_ids: Iterable[int]) -> set[int]:
    """Link these events with the appeals about the same thing. Returns the appeals whose links
    changed (their roles and proof of closure are brought up to date in the same transaction)."""
    ids = sorted(set(event_ids))
    if not ids:
        return set()
    kinds = load_kinds()
    events = list(MonitoringEvent.objects.filter(pk__in=ids).values(*EVENT_FIELDS))
    with transaction.atomic():
        found = _pairs_for_events(events, kinds)
        changed = _write(found, Q(event_id__in=ids))
        # A linked event's new state (resolved, a recurrence) changes what it says of its appeals.
        # An event given a newer version (resolved, moved) changes what it says of the appeals it
        # was linked with before; a new one only of those just linked.
        updated = [e["pk"] for e in events if e["version"] > 1 or e["state"] != EventState.ACTIVE]
        linked = (
            set(Link.objects.filter(event_id__in=updated).exclude(status=LinkStatus.REJECTED).values_list("appeal_id", flat=True))
            if updated
            else set()
        )
        changed = closure.evaluate(linked, changed=changed, events=ids)
    return changed


def match_appeals(appeal_ids: Iterable[int]) -> set[int]:
    """Link these appeals (new, moved, reclassified) with the events around them."""
    ids = sorted(set(appeal_ids))
    if not ids:
        return set()
    with transaction.atomic():
        return _match_appeals(ids)


def _match_appeals(ids: list[int]) -> set[int]:
    """`match_appeals` inside the caller's transaction."""
    kinds = load_kinds()
    appeals = list(Appeal.objects.filter(pk__in=ids).exclude(status__in=NOT_MATCHED).values(*APPEAL_FIELDS))
    found = _pairs_for_appeals(appeals, kinds)
    changed = _write(found, Q(appeal_id__in=ids))
    PendingAppeal.objects.filter(appeal_id__in=ids).delete()
    # A published answer changes what the appeal's links say even where the links stay.
    return closure.evaluate(ids, changed=changed)


def match_waiting_appeals(appeal_ids: Iterable[int], at_most: int, gather_seconds: float = 0.0) -> list[int]:
    """Match these appeals if they are still waiting (a `PendingAppeal`), and with them the other
    appeals waiting, oldest marked first, up to `at_most` in all (these always): a burst of
    single-appeal messages becomes a few batches, and the messages after them stop after one
    cheap statement. The rows are claimed with SKIP LOCKED and deleted in the transaction that
    writes the links, so two workers never match the same appeal; an appeal marked again
    meanwhile waits on the claim and is recorded anew once it commits. `gather_seconds`: an
    appeal of this message marked less than that ago is waited for until it is that old, so a
    steady stream is matched in batches too. Returns the appeals matched."""
    ids = sorted(set(appeal_ids))
    waiting = PendingAppeal.objects.all() if at_most > len(ids) else PendingAppeal.objects.filter(appeal_id__in=ids)
    mine = Case(When(appeal_id__in=ids, then=Value(0)), default=Value(1), output_field=IntegerField()) if ids else Value(1)
    # One statement: when the newest of these appeals was marked, else whether any other waits.
    first = waiting.annotate(_mine=mine).order_by("_mine", "-marked_at").values_list("_mine", "marked_at").first()
    if first is None:
        return []
    if first[0] == 0:
        gather(first[1], gather_seconds)  # the appeals marked meanwhile join this batch
    with transaction.atomic():
        claimed = sorted(
            PendingAppeal.objects.select_for_update(skip_locked=True)
            .annotate(_mine=mine)
            .order_by("_mine", "marked_at", "appeal_id")
            .values_list("appeal_id", flat=True)[: max(at_most, len(ids))]
        )
        if claimed:
            _match_appeals(claimed)
    return claimed


# Events claimed and matched in one transaction: a backlog is worked through in claims of this
# size, so locks are held briefly and one claim's candidates stay small.
CLAIM_AT_MOST = 2000


def _claim_once(waiting: QuerySet[MonitoringEvent], size: int) -> int:
    with transaction.atomic():
        waiting = waiting.filter(matched_at__isnull=True).order_by("received_at", "pk")
        if transaction.get_connection().features.has_select_for_update_skip_locked:
            waiting = waiting.select_for_update(skip_locked=True)
        ids = list(waiting.values_list("pk", flat=True)[:size])
        if not ids:
            return 0
        match_events(ids)
        MonitoringEvent.objects.filter(pk__in=ids).update(matched_at=clock.now())
    return len(ids)


def _claim_and_match(waiting: QuerySet[MonitoringEvent], limit: int | None) -> int:
    total = 0
    while limit is None or total < limit:
        size = CLAIM_AT_MOST if limit is None else min(CLAIM_AT_MOST, limit - total)
        done = _claim_once(waiting, size)
        total += done
        if done < size:
            break
    return total


def match_pending(limit: int | None = None) -> int:
    """Match the events waiting (matched_at null), oldest received first, at most `limit` (all
    when None, in claims of CLAIM_AT_MOST), and mark them matched. Rows are claimed with SKIP
    LOCKED on PostgreSQL, so two workers share the queue without matching an event twice. Returns
    how many events were matched."""
    return _claim_and_match(MonitoringEvent.objects.all(), limit)


def match_pending_ids(event_ids: Iterable[int]) -> int:
    """`match_pending` for these events only (those still waiting)."""
    return _claim_and_match(MonitoringEvent.objects.filter(pk__in=list(event_ids)), None)


def mark_appeals(appeal_ids: Iterable[int]) -> list[int]:
    """Record these appeals as waiting for the matcher (the sweeper's record); returns the ids."""
    ids = sorted(set(appeal_ids))
    if ids:
        now = clock.now()
        PendingAppeal.objects.bulk_create(
            [PendingAppeal(appeal_id=i, marked_at=now) for i in ids],
            update_conflicts=True,
            unique_fields=["appeal"],
            update_fields=["marked_at"],
        )
    return ids
