"""One episode, one entry. The detector finds a surge at every level and place where it stands out:
the category and its whole block, each map cell it spreads over, each window it lasts. Shown as
they are, one rubbish-collection failure in a town fills the top ten. Before ranking, points are
collapsed (docs/tension.md, «Один эпизод — одна строка»):

(c) the same place and topic in overlapping or consecutive windows (gap ≤ WINDOW_GAP_DAYS) are one
    entry: the strongest window leads (on a tie, the latest);
(a) a block-level point is folded into a category-level point of the same place with an
    overlapping window when that category carries at least BLOCK_SHARE of the block point's
    appeals (the block's surge *is* that category's);
(b) points of the same topic (level, block, category) in adjacent H3 cells (h3 neighbours) with
    overlapping windows are one entry, transitively: the strongest cell leads, the others are
    «ещё N соседних участков», appeals and usual levels are summed.

A group ranks by its strongest member's score. Every member is a point the detector found on its
own, so each passed the minimum counts; summing cells never lifts a group above points whose own
counts did not qualify."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import h3

from tsur.tension.models import Level, PlaceKind, TensionPoint

BLOCK_SHARE = 0.6
WINDOW_GAP_DAYS = 1


def _overlap(a: TensionPoint, b: TensionPoint, gap: int = 0) -> bool:
    g = dt.timedelta(days=gap)
    return a.window_start <= b.window_end + g and b.window_start <= a.window_end + g


def _topic(p: TensionPoint) -> tuple:
    return (p.level, p.block_id, p.category_id)


def _rank(p: TensionPoint) -> tuple:
    return (-p.score, -p.window_end.toordinal(), p.pk or 0)


@dataclass
class _Unit:
    """One place and topic: its leading point, its other windows, the block point it carries."""

    lead: TensionPoint
    windows: list[TensionPoint] = field(default_factory=list)
    block_points: list[TensionPoint] = field(default_factory=list)

    @property
    def score(self) -> float:
        return max([self.lead.score] + [p.score for p in self.block_points])

    @property
    def members(self) -> list[TensionPoint]:
        return [self.lead, *self.windows, *self.block_points]


@dataclass
class Group:
    """An episode as shown: its lead point, the neighbouring cells' units, everything folded in."""

    units: list[_Unit]

    @property
    def lead(self) -> TensionPoint:
        return self.units[0].lead

    @property
    def score(self) -> float:
        return max(u.score for u in self.units)

    @property
    def neighbours(self) -> list[TensionPoint]:
        """The other cells' leading points, strongest first."""
        return [u.lead for u in self.units[1:]]

    @property
    def count(self) -> int:
        return sum(u.lead.count for u in self.units)

    @property
    def expected(self) -> float:
        return sum(u.lead.expected for u in self.units)

    @property
    def members(self) -> list[TensionPoint]:
        return [p for u in self.units for p in u.members]

    @property
    def folded(self) -> int:
        """How many points this one entry stands for besides its lead."""
        return len(self.members) - 1

    @property
    def block_points(self) -> list[TensionPoint]:
        return [p for u in self.units for p in u.block_points]

    @property
    def other_windows(self) -> list[TensionPoint]:
        return [p for u in self.units for p in u.windows]


def _by_window(points: list[TensionPoint]) -> list[_Unit]:
    """Rule (c): one unit per place and topic and run of overlapping or consecutive windows."""
    chains: dict[tuple, list[_Unit]] = {}
    for p in sorted(points, key=_rank):
        units = chains.setdefault((p.place_kind, p.place, *_topic(p)), [])
        for u in units:
            if _overlap(u.lead, p, WINDOW_GAP_DAYS) or any(_overlap(w, p, WINDOW_GAP_DAYS) for w in u.windows):
                u.windows.append(p)
                break
        else:
            units.append(_Unit(p))
    return [u for units in chains.values() for u in units]


def _fold_blocks(units: list[_Unit]) -> list[_Unit]:
    """Rule (a): a block point goes into the category point carrying BLOCK_SHARE of it."""
    by_place: dict[tuple, list[_Unit]] = {}
    for u in units:
        if u.lead.level == Level.CATEGORY:
            by_place.setdefault((u.lead.place_kind, u.lead.place, u.lead.block_id), []).append(u)
    kept = []
    for u in units:
        b = u.lead
        if b.level == Level.BLOCK:
            carriers = [
                c for c in by_place.get((b.place_kind, b.place, b.block_id), [])
                if _overlap(c.lead, b) and c.lead.count >= BLOCK_SHARE * b.count
            ]  # fmt: skip
            if carriers:
                carrier = max(carriers, key=lambda c: (c.lead.count, c.lead.score))
                carrier.block_points.extend(u.members)
                continue
        kept.append(u)
    return kept


def _neighbours(cell: str) -> set[str]:
    try:
        return set(h3.grid_disk(cell, 1)) - {cell}
    except (ValueError, TypeError, h3.H3BaseException):
        return set()


def _join_cells(units: list[_Unit]) -> list[Group]:
    """Rule (b): same-topic units in adjacent cells with overlapping windows, transitively."""
    parent = list(range(len(units)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    at: dict[tuple, list[int]] = {}
    for i, u in enumerate(units):
        if u.lead.place_kind == PlaceKind.CELL:
            at.setdefault((u.lead.place, *_topic(u.lead)), []).append(i)
    for i, u in enumerate(units):
        if u.lead.place_kind != PlaceKind.CELL:
            continue
        for cell in _neighbours(u.lead.place):
            for j in at.get((cell, *_topic(u.lead)), []):
                if _overlap(u.lead, units[j].lead, WINDOW_GAP_DAYS):
                    parent[find(i)] = find(j)
    clusters: dict[int, list[_Unit]] = {}
    for i, u in enumerate(units):
        clusters.setdefault(find(i), []).append(u)
    groups = []
    for members in clusters.values():
        members.sort(key=lambda u: (-u.score, *_rank(u.lead)))
        groups.append(Group(members))
    return groups


def collapse(points: list[TensionPoint]) -> list[Group]:
    """The points as episodes, best first (by the strongest member's score)."""
    groups = _join_cells(_fold_blocks(_by_window(points)))
    groups.sort(key=lambda g: (-g.score, *_rank(g.lead)))
    return groups
