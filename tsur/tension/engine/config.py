"""The detector's configuration: windows, thresholds, minimum counts and the sharpening weights.

Every default is justified in docs/tension.md by the replay of the St Petersburg months
(Oct 2020 – Mar 2021); the platform reads the same dataclass (overridable by
settings.TSUR_TENSION), so the shell and the platform score alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping


class Flag:
    """What makes a problem sharper, one bit each on a record (`Record.flags`)."""

    UNRESOLVED = 1  # still open (no answer published)
    OVERDUE = 2  # past its legal deadline
    REPEATED = 4  # a repeated complaint from the same address (also derived from `Record.source`)
    LOW_RATING = 8  # the resident rated the answer 1 or 2
    REOPENED = 16  # reopened after an answer
    DUPLICATE = 32  # joined as a duplicate into a problem
    SOCIAL = 64  # came from a social network (public resonance)
    CONFIRMED = 128  # confirmed by objective monitoring (cameras, 112, sensors)

    ALL = ("unresolved", "overdue", "repeated", "low_rating", "reopened", "duplicate", "social", "confirmed")

    @classmethod
    def bit(cls, name: str) -> int:
        return getattr(cls, name.upper())


@dataclasses.dataclass(frozen=True)
class DetectorConfig:
    # A point is judged on windows of this many days (a week: the weekly rhythm of appeals is
    # inside every window, and the governor's meeting is weekly).
    window_days: int = 7
    # The usual level: an exponentially weighted mean of the weekday-adjusted daily counts with
    # this half-life. Four weeks follow the season (autumn leaves, first snow) without learning a
    # one-week surge as normal.
    halflife_days: float = 28.0
    # A day counts into the level at most as clip_ratio × level + clip_add, so a surge raises the
    # usual level slowly instead of hiding itself (a robust EWMA).
    clip_ratio: float = 2.0
    clip_add: float = 1.0
    # Days of the history before the first window the expectation needs before the clipping
    # starts (an estimate from fewer days is too noisy to clip against).
    warmup_days: int = 28
    # How much history counts for trust in a series' own level: counts over this many days.
    history_days: int = 112
    # Pseudo-counts of the fallback: with n appeals of history the own level weighs n / (n + prior),
    # the parent territory's (or block's) level scaled by the place's share weighs the rest.
    fallback_prior: float = 12.0
    # Pseudo-counts shrinking a topic's weekday profile towards a flat week.
    weekday_prior: float = 150.0
    # Seasonal adjustment from the same weeks a year earlier (topic pooled over places), bounded.
    season_weeks: int = 4
    season_bounds: tuple[float, float] = (0.5, 2.0)
    season_prior: float = 10.0
    # Over-dispersion phi of the negative binomial (variance = mu + phi·mu²); None = estimated from
    # the weekly counts of the history, bounded by dispersion_bounds.
    dispersion: float | None = None
    dispersion_bounds: tuple[float, float] = (0.05, 1.0)
    # A window is a candidate only with at least min_count appeals, min_excess above the
    # expectation and min_ratio times it: one odd report can never top the list.
    min_count: int = 5
    min_excess: float = 4.0
    min_ratio: float = 1.6
    # ... and a surprise (−log10 of the upper tail) of at least this much. With ~2,500 series ×
    # ~120 windows per replay a threshold of 4 keeps chance points to a handful.
    min_surprise: float = 4.0
    # Flagged windows at most this many days apart are one point.
    merge_gap_days: int = 7
    # A point is resolved when none of its windows was flagged in this many last days.
    resolved_after_days: int = 2
    # State of a live point: growing / easing when the last window's count moved at least this
    # ratio and this many appeals against the window before it.
    trend_ratio: float = 1.25
    trend_min_change: int = 3
    # Sharpening: score = surprise × min(max_sharpening, 1 + Σ weight × share of the point's
    # appeals with the flag).
    weights: Mapping[str, float] = dataclasses.field(
        default_factory=lambda: {
            "unresolved": 0.25,
            "overdue": 0.5,
            "repeated": 0.4,
            "low_rating": 0.3,
            "reopened": 0.4,
            "duplicate": 0.2,
            "social": 0.2,
            "confirmed": 0.5,
        }
    )
    max_sharpening: float = 2.0
    # The H3 resolution of places when coordinates exist. 7: cells of ~5 km² (a micro-district, the
    # area one district service keeps); at 8 and 9 the top points are single buildings, mostly one
    # author's series of complaints (docs/tension.md compares 7, 8 and 9 on the replay).
    h3_resolution: int = 7

    def with_overrides(self, values: Mapping[str, object]) -> DetectorConfig:
        """A copy with some fields replaced (settings.TSUR_TENSION); unknown names are refused."""
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown tension settings: {', '.join(unknown)}")
        return dataclasses.replace(self, **dict(values))
