"""Near-duplicate detection for incoming messages: the same problem at the same place within a time
window joins one problem, whose lead is the first message seen.

Pure Python, no Django. Streaming and memory-bounded: messages are kept only while they are inside
the window (relative to the newest ``created_at`` seen) and at most ``max_entries`` of them.

A new message is compared only with earlier messages that share its place (candidate blocking):

* the same normalised address; or
* coordinates within ``radius_m`` metres (a grid of ``radius_m``-sized cells, 3×3 cells searched);
* or, when the message has neither address nor coordinates, the same territory code.

Among those candidates inside the time window (and with the same block, when both messages have
one), the most similar text wins if its similarity reaches ``threshold``. Similarity is the
Jaccard index of the two texts' sets of character 3-grams of their normalised words (letters and
digits only, lower case, «ё» folded, digits kept), which copes with inflection, typos and word
order. Messages without any place are never joined.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

_WORD = re.compile(r"[0-9a-zа-я]+")
_ADDRESS_TOKEN = re.compile(r"[0-9a-zа-я]+")
_METRES_PER_DEGREE = 111_320.0

# Address words folded to one spelling (applied token by token after lower-casing).
_ADDRESS_SYNONYMS = {
    "улица": "ул", "проспект": "пр", "пр-кт": "пр", "пркт": "пр", "переулок": "пер", "площадь": "пл",
    "бульвар": "бул", "набережная": "наб", "шоссе": "ш", "проезд": "пр-д", "линия": "лин", "дом": "д",
    "корпус": "к", "корп": "к", "строение": "стр", "литера": "лит", "литер": "лит", "город": "г",
    "поселок": "п", "посёлок": "п", "деревня": "д", "квартира": "кв",
}
_ADDRESS_DROP = {"г", "россия", "российская", "федерация"}


def normalise_address(address: str | None) -> str:
    """A comparable form of a street address: lower case, «ё» folded, punctuation dropped, common
    words abbreviated ("улица"→"ул", "дом"→"д", "корпус"→"к", "литера"→"лит"…)."""
    if not address:
        return ""
    tokens = _ADDRESS_TOKEN.findall(address.lower().replace("ё", "е"))
    out = [_ADDRESS_SYNONYMS.get(t, t) for t in tokens]
    return " ".join(t for t in out if t not in _ADDRESS_DROP)


def shingles(text: str, n: int = 3) -> frozenset[int]:
    """Hashed character ``n``-grams of each normalised word of ``text`` (word padded with spaces)."""
    words = _WORD.findall((text or "").lower().replace("ё", "е"))
    grams: set[int] = set()
    for word in words:
        padded = f" {word} ".encode("utf-16-le")
        units = len(padded) // 2
        if units <= n:
            grams.add(zlib.crc32(padded))
            continue
        for i in range(units - n + 1):
            grams.add(zlib.crc32(padded[2 * i : 2 * i + 2 * n]))
    return frozenset(grams)


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """|a ∩ b| / |a ∪ b| (0.0 when both are empty)."""
    if not a or not b:
        return 0.0
    inter = len(a & b) if len(a) < len(b) else len(b & a)
    return inter / (len(a) + len(b) - inter)


class Similarities:
    """:func:`jaccard` of gram sets, each pair computed once. A storm repeats a few wordings
    hundreds of times, and a search compares every message with every earlier one at its place:
    the same pairs again and again. Equal gram sets are made one object (:meth:`same`), so a pair
    is found by identity. Keep one for a bounded piece of work (a batch): it holds every set and
    pair it has seen, and forgets them all past ``max_pairs``."""

    def __init__(self, max_pairs: int = 500_000) -> None:
        self.max_pairs = max_pairs
        self._sets: dict[frozenset[int], frozenset[int]] = {}
        self._pairs: dict[tuple[frozenset[int], frozenset[int]], float] = {}

    def same(self, grams: frozenset[int]) -> frozenset[int]:
        """The one object kept for sets equal to ``grams``."""
        return self._sets.setdefault(grams, grams)

    def __call__(self, a: frozenset[int], b: frozenset[int]) -> float:
        sim = self._pairs.get((a, b))
        if sim is None:
            if len(self._pairs) >= self.max_pairs:
                self._pairs.clear()
            sim = self._pairs[a, b] = self._pairs[b, a] = jaccard(a, b)
        return sim


@dataclass(eq=False)
class _Entry:
    id: Hashable
    lead: Hashable
    created_at: datetime | None
    grams: frozenset[int]
    block: str | None
    address: str
    cell: tuple[int, int] | None
    lat: float | None
    lon: float | None
    territory: str | None
    alive: bool = field(default=True)


def _metres(lat: float, lon: float) -> tuple[float, float]:
    return lon * _METRES_PER_DEGREE * math.cos(math.radians(lat)), lat * _METRES_PER_DEGREE


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular distance in metres (accurate to well under 1 % at a few hundred metres)."""
    mean = math.radians((lat1 + lat2) / 2.0)
    dx = math.radians(lon2 - lon1) * math.cos(mean)
    dy = math.radians(lat2 - lat1)
    return 6_371_000.0 * math.hypot(dx, dy)


class DuplicateDetector:
    """Streaming near-duplicate detector. Feed messages in (roughly) chronological order with
    :meth:`check_and_add`; it returns the lead id of the problem a message joins, or ``None``
    when the message starts a new problem (it then becomes a lead itself).

    ``threshold`` is the minimal text similarity (Jaccard of character 3-grams, see
    ``docs/triage-evaluation-duplicates.md`` for how 0.5 was chosen); ``radius_m`` the distance
    under which two coordinate points count as one place; ``max_entries`` bounds memory whatever
    the window; ``max_candidates`` bounds the comparisons per message (the most recent candidates
    of each place key are compared first). ``similarities``: a :class:`Similarities` shared by
    the detectors of one batch (none: each pair is computed when compared)."""

    def __init__(
        self,
        window: timedelta = timedelta(days=14),
        *,
        threshold: float = 0.5,
        radius_m: float = 150.0,
        max_entries: int = 200_000,
        max_candidates: int = 300,
        require_same_block: bool = True,
        similarities: Similarities | None = None,
    ) -> None:
        if window <= timedelta(0):
            raise ValueError("window must be positive")
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")
        if radius_m <= 0 or max_entries < 1 or max_candidates < 1:
            raise ValueError("radius_m, max_entries and max_candidates must be positive")
        self.window = window
        self.threshold = threshold
        self.radius_m = radius_m
        self.max_entries = max_entries
        self.max_candidates = max_candidates
        self.require_same_block = require_same_block
        self._similarities = similarities
        self._order: deque[_Entry] = deque()
        self._by_address: dict[str, deque[_Entry]] = {}
        self._by_cell: dict[tuple[int, int], deque[_Entry]] = {}
        self._by_territory: dict[str, deque[_Entry]] = {}
        self._latest: datetime | None = None
        self._alive = 0
        self.last_match: Hashable | None = None
        """Id of the earlier message the last call matched (the closest one, not always the lead)."""
        self.last_similarity: float = 0.0

    def __len__(self) -> int:
        """Messages currently kept (inside the window and the size bound)."""
        return self._alive

    # -- internals --------------------------------------------------------------------------------

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        x, y = _metres(lat, lon)
        return (math.floor(x / self.radius_m), math.floor(y / self.radius_m))

    def _evict(self) -> None:
        horizon = self._latest - self.window if self._latest is not None else None
        order = self._order
        while order:
            head = order[0]
            if not head.alive:
                order.popleft()
                continue
            too_old = horizon is not None and head.created_at is not None and head.created_at < horizon
            if not too_old and self._alive <= self.max_entries:
                break
            order.popleft()
            self._drop(head)

    def _drop(self, entry: _Entry) -> None:
        entry.alive = False
        self._alive -= 1
        for index, key in (
            (self._by_address, entry.address or None),
            (self._by_cell, entry.cell),
            (self._by_territory, entry.territory),
        ):
            if key is None:
                continue
            bucket = index.get(key)
            if bucket is None:
                continue
            while bucket and not bucket[0].alive:
                bucket.popleft()
            if not bucket:
                del index[key]

    def _bucket_entries(self, index: dict, key) -> list[_Entry]:
        bucket = index.get(key)
        if not bucket:
            return []
        # Newest first, bounded.
        out = []
        for entry in reversed(bucket):
            if entry.alive:
                out.append(entry)
                if len(out) >= self.max_candidates:
                    break
        return out

    def _candidates(self, address: str, lat: float | None, lon: float | None, cell, territory: str | None) -> list[_Entry]:
        seen: set[int] = set()
        out: list[_Entry] = []

        def take(entries: list[_Entry]) -> None:
            for entry in entries:
                if id(entry) not in seen:
                    seen.add(id(entry))
                    out.append(entry)

        if address:
            take(self._bucket_entries(self._by_address, address))
        if cell is not None:
            cx, cy = cell
            near = []
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for entry in self._bucket_entries(self._by_cell, (cx + dx, cy + dy)):
                        if _distance_m(lat, lon, entry.lat, entry.lon) <= self.radius_m:
                            near.append(entry)
            take(near)
        if not address and cell is None and territory:
            take(self._bucket_entries(self._by_territory, territory))
        elif territory:
            # Earlier messages placed only by this territory can still be the same problem.
            take([e for e in self._bucket_entries(self._by_territory, territory) if not e.address and e.cell is None])
        return out

    # -- API --------------------------------------------------------------------------------------

    @staticmethod
    def text_grams(text: str) -> frozenset[int]:
        """What :meth:`check_and_add` compares texts by. It depends on the text alone, so a worker
        process can compute it ahead of the stateful check (``grams=``)."""
        return shingles(text)

    def check_and_add(
        self,
        id: Hashable,
        text: str,
        *,
        territory: str | None = None,
        address: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        created_at: datetime | None = None,
        block: str | None = None,
        grams: frozenset[int] | None = None,
    ) -> Hashable | None:
        """Compare the message with the earlier ones at the same place inside the window and add
        it. Returns the lead id of the problem it joins, or ``None`` (it is a new problem's lead).
        ``grams``: :meth:`text_grams` of ``text`` when already computed (by a worker process)."""
        if created_at is None:
            created_at = self._latest
        if created_at is not None and (self._latest is None or created_at > self._latest):
            self._latest = created_at
        self._evict()
        place = self._place(text, territory, address, lat, lon, grams)
        best = self._best(place, created_at, block)
        lead = best.lead if best is not None else id
        entry = _Entry(id, lead, created_at, place.grams, block or None, place.address, place.cell, *place.point, place.territory)
        self._order.append(entry)
        self._alive += 1
        if place.address:
            self._by_address.setdefault(place.address, deque()).append(entry)
        if place.cell is not None:
            self._by_cell.setdefault(place.cell, deque()).append(entry)
        if place.territory:
            self._by_territory.setdefault(place.territory, deque()).append(entry)
        self._evict()
        return best.lead if best is not None else None

    def match(
        self,
        text: str,
        *,
        territory: str | None = None,
        address: str | None = None,
        lat: float | None = None,
        lon: float | None = None,
        created_at: datetime | None = None,
        block: str | None = None,
        grams: frozenset[int] | None = None,
    ) -> Hashable | None:
        """What :meth:`check_and_add` would return for the message, without adding it: the
        detector is left as it was, so one replay of earlier messages can answer several new ones.
        The same decision: the eviction `check_and_add` does first drops only messages outside
        the window of ``created_at``, which the comparison skips anyway, or (for a message older
        than the newest seen) nothing that the last addition's eviction had not dropped."""
        if created_at is None:
            created_at = self._latest
        best = self._best(self._place(text, territory, address, lat, lon, grams), created_at, block)
        return best.lead if best is not None else None

    def _place(self, text: str, territory, address, lat, lon, grams) -> _Place:
        norm_address = normalise_address(address)
        has_point = lat is not None and lon is not None and math.isfinite(lat) and math.isfinite(lon)
        cell = self._cell(lat, lon) if has_point else None
        territory = territory or None
        if grams is None:
            # A message without a place is in no candidate index, so its text is never compared:
            # skip the n-grams (most of this method's cost).
            grams = shingles(text) if norm_address or cell is not None or territory else frozenset()
        if self._similarities is not None:
            grams = self._similarities.same(grams)
        return _Place(grams, norm_address, cell, (lat, lon) if has_point else (None, None), territory)

    def _best(self, place: _Place, created_at: datetime | None, block: str | None) -> _Entry | None:
        """The most similar earlier message at the place (the earliest among equals), if similar
        enough; sets :attr:`last_match` and :attr:`last_similarity`."""
        similarity = self._similarities if self._similarities is not None else jaccard
        grams = place.grams
        best: _Entry | None = None
        best_sim = 0.0
        if grams and (place.address or place.cell is not None or place.territory):
            lat, lon = place.point
            for entry in self._candidates(place.address, lat, lon, place.cell, place.territory):
                if created_at is not None and entry.created_at is not None and abs(created_at - entry.created_at) > self.window:
                    continue
                if self.require_same_block and block and entry.block and block != entry.block:
                    continue
                sim = similarity(grams, entry.grams)
                if sim >= self.threshold and (sim > best_sim or (sim == best_sim and best is not None and _earlier(entry, best))):
                    best, best_sim = entry, sim
        self.last_match = best.id if best is not None else None
        self.last_similarity = best_sim
        return best


class _Place(NamedTuple):
    grams: frozenset[int]
    address: str
    cell: tuple[int, int] | None
    point: tuple[float | None, float | None]
    territory: str | None


def _earlier(a: _Entry, b: _Entry) -> bool:
    if a.created_at is None or b.created_at is None:
        return False
    return a.created_at < b.created_at
