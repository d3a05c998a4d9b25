"""The usual level and the surprise, the detector's arithmetic (tsur.tension.engine.detect uses
them; docs/tension.md has the reasoning): the weekday profile, the seasonal factor, the robust
exponentially weighted level, the over-dispersion of weekly counts and the negative-binomial
surprise of a window's count."""

from __future__ import annotations

import numpy as np
from scipy.stats import nbinom

from tsur.tension.engine.config import DetectorConfig

LN10 = float(np.log(10.0))


def weekday_profile(pooled: np.ndarray, weekday: np.ndarray, prior: float) -> np.ndarray:
    """Per topic: the mean count of each weekday over the mean day, shrunk towards 1 by `prior`
    pseudo-appeals (a topic with little history keeps a flat week)."""
    n_topics = pooled.shape[0]
    if pooled.shape[1] == 0:
        return np.ones((n_topics, 7))
    per_day = np.zeros((n_topics, 7))
    n_of = np.bincount(weekday, minlength=7).astype(float)
    for w in range(7):
        if n_of[w]:
            per_day[:, w] = pooled[:, weekday == w].sum(axis=1) / n_of[w]
    mean = per_day[:, n_of > 0].mean(axis=1, keepdims=True)
    total = pooled.sum(axis=1, keepdims=True)
    raw = np.divide(per_day, mean, out=np.ones_like(per_day), where=mean > 0)
    raw[:, n_of == 0] = 1.0
    shrunk = (total * raw + prior) / (total + prior)
    return shrunk / shrunk.mean(axis=1, keepdims=True)


def season_factor(pooled: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """Per topic and day d: how last year's weeks from d-365 compared with the weeks before them
    (the change the usual level has not learnt yet); 1 where history is shorter than a year."""
    n_topics, n_days = pooled.shape
    out = np.ones((n_topics, n_days))
    lead = cfg.season_weeks * 7
    W = cfg.window_days
    days = np.arange(n_days)
    ok = (days - 365 - lead >= 0) & (days - 365 + W <= n_days)
    if not ok.any():
        return out
    cum = np.concatenate([np.zeros((n_topics, 1)), np.cumsum(pooled, axis=1)], axis=1)
    d = days[ok]
    ahead = (cum[:, d - 365 + W] - cum[:, d - 365]) * (lead / W)
    before = cum[:, d - 365] - cum[:, d - 365 - lead]
    lo, hi = cfg.season_bounds
    out[:, ok] = np.clip((ahead + cfg.season_prior) / (before + cfg.season_prior), lo, hi)
    return out


def robust_ewma(adjusted: np.ndarray, cfg: DetectorConfig) -> np.ndarray:
    """level[:, d] = the weighted mean of the (clipped) days before d, bias-corrected for the
    start of the history (all series start on the first day of the data)."""
    n_rows, n_days = adjusted.shape
    alpha = 1.0 - 0.5 ** (1.0 / cfg.halflife_days)
    level = np.zeros((n_rows, n_days))
    acc = np.zeros(n_rows)
    weight = 0.0
    for d in range(n_days):
        current = acc / weight if weight > 0 else acc
        level[:, d] = current
        x = adjusted[:, d]
        if d >= cfg.warmup_days:
            x = np.minimum(x, cfg.clip_ratio * current + cfg.clip_add)
        acc = (1.0 - alpha) * acc + alpha * x
        weight = (1.0 - alpha) * weight + alpha
    return level


def dispersion(counts: np.ndarray, start_i: int, W: int, cfg: DetectorConfig) -> float:
    """Method-of-moments over-dispersion of the windows of the history (up to 8 before the first
    evaluated one): phi = Σ(var − mean) / Σ mean² over series with appeals. It includes the drift of
    the level over those weeks, which is the uncertainty of a forecast from them."""
    lo_bound, hi_bound = cfg.dispersion_bounds
    n_windows = min(8, start_i // W)
    if n_windows < 3:
        return hi_bound / 4
    first = start_i - n_windows * W
    weekly = counts[:, first:start_i].reshape(counts.shape[0], n_windows, W).sum(axis=2)
    mean = weekly.mean(axis=1)
    var = weekly.var(axis=1, ddof=1)
    used = mean >= 1.0
    if not used.any():
        return hi_bound / 4
    phi = float((var[used] - mean[used]).sum() / (mean[used] ** 2).sum())
    return float(np.clip(phi, lo_bound, hi_bound))


def surprise(count: np.ndarray, expected: np.ndarray, phi: float) -> np.ndarray:
    """−log10 P(X ≥ count) for X ~ NegBin(mean = expected, variance = expected + phi·expected²)."""
    r = 1.0 / phi
    p = r / (r + expected)
    return -nbinom.logsf(count - 1, r, p) / LN10


def dispersion_days(start_i: int, W: int) -> int:
    """How many days before the first window the over-dispersion is estimated from (0: too few,
    the default is used)."""
    n_windows = min(8, start_i // W)
    return n_windows * W if n_windows >= 3 else 0
