"""What the detector reads and what it finds: plain values, no Django (the platform and
`tsur tension detect` build the same records)."""

from __future__ import annotations

import dataclasses
import datetime as dt

CATEGORY = "category"
BLOCK = "block"

NEW, GROWING, STABLE, EASING, RESOLVED = "new", "growing", "stable", "easing", "resolved"
STATES = (NEW, GROWING, STABLE, EASING, RESOLVED)


@dataclasses.dataclass(slots=True)
class Record:
    """One appeal as the detector sees it.

    `day` is the local calendar day it was received; `place` an H3 cell or a territory code;
    `parent_place` the territory it lies in (the fallback when its own history is thin); `topic` the
    category and `block` its block (the topic's parent level, "" when unknown); `source` the address
    (or another key of the author) that makes a repeated complaint recognisable; `flags` bits of
    config.Flag."""

    day: dt.date
    place: str
    topic: str
    block: str = ""
    parent_place: str = ""
    id: str = ""
    source: str = ""
    flags: int = 0
    # How many appeals the record stands for: 1 for an appeal; more for a day's count of a series
    # summarised by the caller (the platform's incremental recompute reads counts, not rows, for the
    # days before the points it recomputes; such records carry no id, source or flags).
    n: int = 1


@dataclasses.dataclass(frozen=True)
class Baseline:
    """What the detector learns from a whole block and applies to each series: its first day, the
    daily counts per (level, topic) pooled over places for the days before the first window (the
    weekday profile and the seasonal factor), and the over-dispersion. The platform's incremental
    recompute passes it with the records of a few series only, so those series are scored exactly
    as in a run over the whole block."""

    day0: dt.date
    pooled: dict[tuple[str, str], list[float]]  # (level, topic) → counts of day0, day0 + 1, …
    phi: float


@dataclasses.dataclass(frozen=True, slots=True)
class SeriesKey:
    place: str
    level: str  # CATEGORY or BLOCK
    topic: str  # the category, or the block for a block-level series


@dataclasses.dataclass
class DayPoint:
    day: dt.date
    count: int
    expected: float


@dataclasses.dataclass
class Point:
    """A place × topic × time span where appeals piled up beyond the usual level."""

    key: SeriesKey
    parent_place: str
    block: str  # the block of a category-level point ("" for a block-level one)
    start: dt.date  # the first day of the pile-up
    end: dt.date  # the day after its last day
    count: int  # appeals in [start, end)
    expected: float  # what was usual for [start, end), as known when it began
    peak_start: dt.date  # the most surprising window
    peak_days: int
    peak_count: int
    peak_expected: float
    surprise: float  # −log10 of the negative-binomial upper tail of the peak window
    sharpening: float  # the bounded factor from the flags
    score: float  # surprise × sharpening
    state: str
    flags: dict[str, int]  # flag name → appeals of the point with it
    ids: list[str]  # the records' ids, in day order
    series: list[DayPoint]  # daily counts and expectation around the point, for the trend chart

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def as_json(self, explanation: str) -> dict:
        return {
            "place": self.key.place,
            "topic": self.key.topic,
            "level": self.key.level,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "count": self.count,
            "expected": round(self.expected, 2),
            "score": round(self.score, 2),
            "state": self.state,
            "explanation": explanation,
        }
