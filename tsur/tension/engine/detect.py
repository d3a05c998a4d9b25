"""The detector: a weekday- and season-aware usual level per place × topic, the surprise of each
window's count against it, and the points that the surprising windows make.

The method (docs/tension.md has the reasoning and the tuning):
1. daily counts per series (place × category, place × block) and per fallback aggregate (the
   parent territory × topic);
2. a weekday profile per topic, pooled over places, from the history before the first window,
   shrunk towards a flat week;
3. the usual level: a robust exponentially weighted mean of the weekday-adjusted daily counts
   (a day counts at most clip_ratio × level + clip_add), so the level follows the season while a
   surge cannot hide itself;
4. where a series' history is thin, its level is shrunk towards the parent territory's level
   scaled by the place's share of the parent's appeals (or, without a parent, towards its block's
   level scaled by the topic's share of the block): an empirical-Bayes blend by history size;
5. a seasonal factor from the same weeks a year earlier (topic pooled, bounded) when history
   reaches back that far;
6. each window of `window_days` days is scored by −log10 P(X ≥ count) under a negative binomial
   with the window's expectation (level at the window's start, i.e. learnt only before it) and an
   over-dispersion estimated from the weekly counts of the history;
7. windows passing the minimum count, excess, ratio and surprise are merged into points; the
   score is the peak surprise times a bounded sharpening factor from the flags; the state comes
   from the last two windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import numpy as np

from tsur.tension.engine.config import DetectorConfig, Flag
from tsur.tension.engine.expectation import dispersion, dispersion_days, robust_ewma, season_factor, weekday_profile
from tsur.tension.engine.expectation import surprise as nb_surprise
from tsur.tension.engine.model import (
    BLOCK,
    CATEGORY,
    EASING,
    GROWING,
    NEW,
    RESOLVED,
    STABLE,
    Baseline,
    DayPoint,
    Point,
    Record,
    SeriesKey,
)

# The level never drops below this many appeals a day: an expectation of zero would make any
# single appeal infinitely surprising (the minimum counts guard the ranking as well).
MIN_LEVEL = 0.01
# Days of context shown before a point on its trend chart.
CHART_LEAD_DAYS = 28


class _Rows:
    """Row index of every series: reported ones (a place × topic) and fallback aggregates."""

    def __init__(self) -> None:
        self.index: dict[tuple, int] = {}
        self.keys: list[tuple] = []

    def of(self, key: tuple) -> int:
        row = self.index.get(key)
        if row is None:
            row = self.index[key] = len(self.keys)
            self.keys.append(key)
        return row


def detect(
    records: Iterable[Record],
    *,
    start: dt.date,
    end: dt.date,
    config: DetectorConfig | None = None,
    only: set[SeriesKey] | None = None,
    baseline: Baseline | None = None,
    children: Mapping[str, int] | None = None,
) -> list[Point]:
    """The points of tension with a window ending in [start, end), best first.

    History before `start` is the baseline; every window's expectation uses only the days before
    that window. The state of each point is judged as of `end` (the day after the last day looked
    at). `only` keeps the points of these series (the platform's incremental recompute).

    The incremental recompute passes the records of a few series with the block-wide `baseline`
    (see `baseline_of`) and, when the places of a parent territory other than those series are
    summarised into one record place, `children`: the real number of places per parent (the
    share of a place in its parent is smoothed by it)."""
    cfg = config or DetectorConfig()
    recs = [r for r in records if r.day < end]
    if not recs or start >= end:
        return []
    day0 = baseline.day0 if baseline is not None else min(r.day for r in recs)
    recs = [r for r in recs if r.day >= day0]
    if not recs:
        return []
    n_days = (end - day0).days
    start_i = max((start - day0).days, 0)
    W = cfg.window_days

    # --- rows: reported series, then the aggregates they fall back on ---------------------------
    rows = _Rows()
    n = len(recs)
    rec_day = np.fromiter(((r.day - day0).days for r in recs), dtype=np.int64, count=n)
    rec_cat = np.empty(n, dtype=np.int64)
    rec_blk = np.full(n, -1, dtype=np.int64)
    rec_n = np.fromiter((r.n for r in recs), dtype=np.float64, count=n)
    parent_of_place: dict[str, str] = {}
    block_of_topic: dict[str, str] = {}
    for i, r in enumerate(recs):
        rec_cat[i] = rows.of(("s", r.place, CATEGORY, r.topic))
        if r.block:
            rec_blk[i] = rows.of(("s", r.place, BLOCK, r.block))
            block_of_topic.setdefault(r.topic, r.block)
        # A place (an H3 cell on a territories' border) whose records name several parents falls
        # back on the first of them by code: the same whatever the order of the records.
        if r.parent_place and r.parent_place != r.place:
            known = parent_of_place.get(r.place)
            if known is None or r.parent_place < known:
                parent_of_place[r.place] = r.parent_place
    n_reported = len(rows.keys)

    # Aggregates: (parent territory × topic) for each reported series whose place has a parent.
    agg_members: dict[int, list[int]] = {}
    fallback_row = np.full(n_reported, -1, dtype=np.int64)
    fallback_kind = np.zeros(n_reported, dtype=np.int8)  # 1: parent place, 2: block of the topic
    for row in range(n_reported):
        _, place, level, topic = rows.keys[row]
        parent = parent_of_place.get(place)
        if parent:
            agg = rows.of(("a", parent, level, topic))
            agg_members.setdefault(agg, []).append(row)
            fallback_row[row], fallback_kind[row] = agg, 1
        elif level == CATEGORY and topic in block_of_topic:
            blk = rows.index.get(("s", place, BLOCK, block_of_topic[topic]))
            if blk is not None:
                fallback_row[row], fallback_kind[row] = blk, 2
    n_rows = len(rows.keys)

    counts = np.zeros((n_rows, n_days), dtype=np.float64)
    np.add.at(counts, (rec_cat, rec_day), rec_n)
    has_blk = rec_blk >= 0
    np.add.at(counts, (rec_blk[has_blk], rec_day[has_blk]), rec_n[has_blk])
    for agg, members in agg_members.items():
        counts[agg] = counts[members].sum(axis=0)

    # --- topics: pooled counts, weekday profile, seasonal factor --------------------------------
    topic_index: dict[tuple[str, str], int] = {}
    row_topic = np.empty(n_rows, dtype=np.int64)
    for row, (_, _, level, topic) in enumerate(rows.keys):
        row_topic[row] = topic_index.setdefault((level, topic), len(topic_index))
    n_topics = len(topic_index)
    reported_topic = row_topic[:n_reported]
    pooled = np.zeros((n_topics, n_days))
    if baseline is None:
        np.add.at(pooled, reported_topic, counts[:n_reported])
    else:
        # Only the days before the first window are learnt from (the weekday profile, and the
        # seasonal factor's weeks a year back): the block's pooled counts of those days.
        for (level_name, topic), t in topic_index.items():
            known = np.asarray(baseline.pooled.get((level_name, topic), ()), dtype=np.float64)[:start_i]
            pooled[t, : known.size] = known

    weekday = (np.arange(n_days) + day0.weekday()) % 7
    weekday_factor = weekday_profile(pooled[:, :start_i], weekday[:start_i], cfg.weekday_prior)
    day_factor = weekday_factor[:, weekday]  # topics × days
    season = season_factor(pooled, cfg)  # topics × days

    # --- the usual level -----------------------------------------------------------------------
    adjusted = counts / day_factor[row_topic]
    level = robust_ewma(adjusted, cfg)
    cum = np.concatenate([np.zeros((n_rows, 1)), np.cumsum(counts, axis=1)], axis=1)
    level = _with_fallback(level, cum, rows, n_reported, fallback_row, fallback_kind, agg_members, cfg, children or {})
    level = np.maximum(level, MIN_LEVEL)

    # --- windows ---------------------------------------------------------------------------------
    ends = np.arange(max(start_i, W - 1), n_days)
    if ends.size == 0:
        return []
    starts = ends - W + 1
    factor_cum = np.concatenate([np.zeros((n_topics, 1)), np.cumsum(day_factor, axis=1)], axis=1)
    rep_cum = cum[:n_reported]
    win_count = rep_cum[:, ends + 1] - rep_cum[:, starts]
    win_factor = (factor_cum[:, ends + 1] - factor_cum[:, starts]) * season[:, starts]
    win_expected = level[:n_reported][:, starts] * win_factor[reported_topic]
    if cfg.dispersion is not None:
        phi = cfg.dispersion
    elif baseline is not None:
        phi = baseline.phi
    else:
        phi = dispersion(counts[:n_reported], start_i, W, cfg)
    candidate = (
        (win_count >= cfg.min_count)
        & (win_count - win_expected >= cfg.min_excess)
        & (win_count >= cfg.min_ratio * win_expected)
    )
    surprise = np.zeros_like(win_count)
    rr, cc = np.nonzero(candidate)
    if rr.size:
        surprise[rr, cc] = nb_surprise(win_count[rr, cc], win_expected[rr, cc], phi)
    flagged = candidate & (surprise >= cfg.min_surprise)

    # --- points ----------------------------------------------------------------------------------
    members = _Members(rec_cat, rec_blk, rec_day)
    wanted = None
    if only is not None:
        wanted = {rows.index[("s", k.place, k.level, k.topic)] for k in only if ("s", k.place, k.level, k.topic) in rows.index}
    points: list[Point] = []
    for row in np.unique(np.nonzero(flagged)[0]):
        if wanted is not None and int(row) not in wanted:
            continue
        cols = np.nonzero(flagged[row])[0]
        groups = np.split(cols, np.nonzero(np.diff(ends[cols]) > cfg.merge_gap_days)[0] + 1)
        for group in groups:
            points.append(
                _point(
                    int(row), group, ends, win_count, win_expected, surprise, counts, level, day_factor, season,
                    row_topic, rows, parent_of_place, block_of_topic, members, recs, day0, n_days, cfg,
                )
            )
    points.sort(key=lambda p: (-p.score, p.key.place, p.key.level, p.key.topic, p.start))
    return points


def _with_fallback(
    level: np.ndarray,
    cum: np.ndarray,
    rows: _Rows,
    n_reported: int,
    fallback_row: np.ndarray,
    fallback_kind: np.ndarray,
    agg_members: dict[int, list[int]],
    cfg: DetectorConfig,
    children_of: Mapping[str, int],
) -> np.ndarray:
    """Shrink thin series towards their parent's level × their share of the parent."""
    n_days = level.shape[1]
    days = np.arange(n_days)
    lo = np.maximum(days - cfg.history_days, 0)
    history = cum[:, days] - cum[:, lo]  # appeals of each row over the history before each day
    out = level[:n_reported].copy()

    # Share of a place within its parent territory: over all topics of the same level.
    place_total: dict[tuple[str, str], np.ndarray] = {}
    parent_total: dict[tuple[str, str], np.ndarray] = {}
    children: dict[tuple[str, str], set[str]] = {}
    for agg, members in agg_members.items():
        _, parent, level_name, _ = rows.keys[agg]
        for m in members:
            place = rows.keys[m][1]
            children.setdefault((parent, level_name), set()).add(place)
            key = (place, level_name)
            place_total[key] = place_total.get(key, 0) + history[m]
            parent_total[(parent, level_name)] = parent_total.get((parent, level_name), 0) + history[m]
    # Share of a topic within its block at the same place (for places without a parent).
    block_total: dict[int, np.ndarray] = {}
    block_topics: dict[int, int] = {}
    for row in range(n_reported):
        if fallback_kind[row] == 2:
            b = int(fallback_row[row])
            block_topics[b] = block_topics.get(b, 0) + 1
            block_total[b] = block_total.get(b, 0) + history[row]

    for row in range(n_reported):
        kind = fallback_kind[row]
        if kind == 0:
            continue
        parent_row = int(fallback_row[row])
        _, place, level_name, _ = rows.keys[row]
        if kind == 1:
            parent = rows.keys[parent_row][1]
            k = children_of.get(parent) or len(children[(parent, level_name)])
            share = (place_total[(place, level_name)] + 1.0) / (parent_total[(parent, level_name)] + k)
        else:
            share = (history[row] + 1.0) / (block_total[parent_row] + block_topics[parent_row])
        own_weight = history[row] / (history[row] + cfg.fallback_prior)
        out[row] = own_weight * level[row] + (1.0 - own_weight) * level[parent_row] * share
    return out


class _Members:
    """The records of each series, in day order."""

    def __init__(self, rec_cat: np.ndarray, rec_blk: np.ndarray, rec_day: np.ndarray) -> None:
        idx = np.arange(rec_cat.size)
        has = rec_blk >= 0
        self.rows = np.concatenate([rec_cat, rec_blk[has]])
        self.recs = np.concatenate([idx, idx[has]])
        self.days = rec_day[self.recs]
        order = np.lexsort((self.days, self.rows))
        self.rows, self.recs, self.days = self.rows[order], self.recs[order], self.days[order]

    def of(self, row: int, first: int, last: int) -> np.ndarray:
        """Indices of the records of `row` with day in [first, last]."""
        lo, hi = np.searchsorted(self.rows, [row, row + 1])
        days = self.days[lo:hi]
        a, b = np.searchsorted(days, [first, last + 1])
        return self.recs[lo + a : lo + b]


def _point(
    row, group, ends, win_count, win_expected, surprise, counts, level, day_factor, season,
    row_topic, rows, parent_of_place, block_of_topic, members, recs, day0, n_days, cfg,
) -> Point:  # fmt: skip
    W = cfg.window_days
    t = row_topic[row]
    first_end, last_end = int(ends[group[0]]), int(ends[group[-1]])
    peak = int(group[np.argmax(surprise[row, group])])
    s0 = first_end - W + 1

    # The expectation of the whole point is frozen at its first window: what was usual before it.
    frozen = level[row, s0] * season[t, s0]

    def expected_on(d: int) -> float:
        return float(frozen * day_factor[t, d])

    # It began on the day that starts the largest excess up to the first flagged window's end, and
    # ended on the day that closes the largest excess from the last flagged window's start (the
    # CUSUM's change points, with an allowance of one Poisson deviation a day so that one noisy
    # day before the pile-up is not taken for its beginning). The span always holds the peak
    # window, so a point never shows fewer appeals than the window that made it.
    def excess(d: int) -> float:
        mu = expected_on(d)
        return float(counts[row, d] - mu - mu**0.5)

    peak_first = int(ends[peak]) - W + 1
    first = min(_best_start([excess(d) for d in range(s0, first_end + 1)], s0), peak_first)
    last_start = max(last_end - W + 1, first)
    tail = [excess(d) for d in range(last_start, last_end + 1)]
    last = max(last_start + len(tail) - 1 - _best_start(tail[::-1], 0), int(ends[peak]))
    count = int(counts[row, first : last + 1].sum())
    expected = sum(expected_on(d) for d in range(first, last + 1))

    chosen = members.of(row, first, last)
    flags = _flag_counts([recs[i] for i in chosen])
    sharpening = 1.0
    for name, n_flagged in flags.items():
        sharpening += cfg.weights.get(name, 0.0) * n_flagged / max(count, 1)
    sharpening = min(sharpening, cfg.max_sharpening)

    state = _state(row, first, last_end, counts, n_days, cfg)
    _, place, level_name, topic = rows.keys[row]
    chart_from = max(0, first - CHART_LEAD_DAYS)
    series = [
        DayPoint(
            day0 + dt.timedelta(days=d),
            int(counts[row, d]),
            round(float(level[row, d] * day_factor[t, d] * season[t, d]), 3),
        )
        for d in range(chart_from, n_days)
    ]
    return Point(
        key=SeriesKey(place, level_name, topic),
        parent_place=parent_of_place.get(place, ""),
        block=block_of_topic.get(topic, "") if level_name == CATEGORY else "",
        start=day0 + dt.timedelta(days=first),
        end=day0 + dt.timedelta(days=last + 1),
        count=count,
        expected=float(expected),
        peak_start=day0 + dt.timedelta(days=int(ends[peak]) - W + 1),
        peak_days=W,
        peak_count=int(win_count[row, peak]),
        peak_expected=float(win_expected[row, peak]),
        surprise=float(surprise[row, peak]),
        sharpening=float(sharpening),
        score=float(surprise[row, peak] * sharpening),
        state=state,
        flags=flags,
        ids=[recs[i].id for i in chosen if recs[i].id],
        series=series,
    )


def _best_start(excess: list[float], offset: int) -> int:
    """offset + the index where the suffix of `excess` with the largest sum starts."""
    best, best_at, running = float("-inf"), len(excess) - 1, 0.0
    for i in range(len(excess) - 1, -1, -1):
        running += excess[i]
        if running > best:
            best, best_at = running, i
    return offset + best_at


def _flag_counts(chosen: list[Record]) -> dict[str, int]:
    """Appeals with each flag; a record is a repeated complaint when flagged so or when an earlier
    record of the point came from the same source (address)."""
    out = {name: 0 for name in Flag.ALL}
    seen: set[str] = set()
    for r in chosen:
        again = bool(r.source) and r.source in seen
        if r.source:
            seen.add(r.source)
        for name in Flag.ALL:
            bit = Flag.bit(name)
            if r.flags & bit or (name == "repeated" and again):
                out[name] += 1
    return {k: v for k, v in out.items() if v}


def _state(row: int, first: int, last_end: int, counts: np.ndarray, n_days: int, cfg: DetectorConfig) -> str:
    """The point's lifecycle as of the end of the data looked at, from its last two windows."""
    W = cfg.window_days
    last_day = n_days - 1
    if last_day - last_end >= cfg.resolved_after_days:
        return RESOLVED
    if first > last_day - W:
        return NEW
    current = counts[row, last_day - W + 1 : last_day + 1].sum()
    previous = counts[row, max(0, last_day - 2 * W + 1) : last_day - W + 1].sum()
    if current >= previous * cfg.trend_ratio and current - previous >= cfg.trend_min_change:
        return GROWING
    if current * cfg.trend_ratio <= previous and previous - current >= cfg.trend_min_change:
        return EASING
    return STABLE


def baseline_of(records: Iterable[Record], *, start: dt.date, end: dt.date, config: DetectorConfig | None = None) -> Baseline:
    """The block-wide part of `detect` for these records (what a run over all of them learns):
    the platform computes the same from its daily counts; tests compare the two."""
    cfg = config or DetectorConfig()
    recs = [r for r in records if r.day < end]
    day0 = min(r.day for r in recs)
    start_i = max((start - day0).days, 0)
    W = cfg.window_days
    span = dispersion_days(start_i, W)
    first = start_i - span
    pooled: dict[tuple[str, str], np.ndarray] = {}
    window: dict[tuple[str, str, str], np.ndarray] = {}
    for r in recs:
        d = (r.day - day0).days
        for level_name, topic in ((CATEGORY, r.topic), (BLOCK, r.block)):
            if not topic:
                continue
            if d < start_i:
                pooled.setdefault((level_name, topic), np.zeros(start_i))[d] += r.n
            if first <= d < start_i:
                window.setdefault((r.place, level_name, topic), np.zeros(span))[d - first] += r.n
    counts = np.array(list(window.values())) if window else np.zeros((0, span))
    phi = dispersion(counts, span, W, cfg) if span else dispersion(counts, start_i, W, cfg)
    return Baseline(day0=day0, pooled={k: v.tolist() for k, v in pooled.items()}, phi=phi)
