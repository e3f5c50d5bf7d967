"""Robust fit of a series' weekly shape from slot bins: trend x daily shape x weekday adjustment.

Works on bins (one per time-of-week slot visited by the history), vectorised over series. Bins
far above the current fit are capped before the next pass, so past outages do not inflate the
shape; slots with few reports shrink toward the daily shape and that toward flat. The level a
detector uses now, and the dispersion, belong to baseline.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from outages.detection.config import DetectorConfig
from outages.detection.counts import fit_dispersion
from outages.detection.profile import DAY, slots_per_week


@dataclass(frozen=True)
class Bins:
    """Per-slot sums of a history: counts (series, bins), valid points (series, bins), and each
    bin's slot of the week (bins,)."""

    counts: np.ndarray
    points: np.ndarray
    slot: np.ndarray


@dataclass(frozen=True)
class Shape:
    """A fitted weekly shape (series, slots) with mean 1, the robust trend per bin (series, bins),
    bin counts capped at the fit, and the over-dispersion of bin counts (series,)."""

    profile: np.ndarray
    trend: np.ndarray
    capped: np.ndarray
    alpha: np.ndarray


def group_sum(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """Sum the columns of values (series, bins) into `size` groups: (series, size)."""
    rows = values.shape[0]
    index = (np.arange(rows)[:, None] * size + groups[None, :]).ravel()
    return np.bincount(index, weights=values.ravel(), minlength=rows * size).reshape(rows, size)


def window_ratio(
    counts: np.ndarray, exposure: np.ndarray, before: int, after: int, prior: tuple[float, float]
) -> np.ndarray:
    """Per bin, sum(counts) / sum(exposure) over bins [k - before, k + after] (clipped at the
    ends), with a gamma prior (rate, weight in exposure units) so empty windows stay finite."""
    zero = np.zeros((counts.shape[0], 1))
    cum_c = np.concatenate([zero, np.cumsum(counts, axis=1)], axis=1)
    cum_e = np.concatenate([zero, np.cumsum(exposure, axis=1)], axis=1)
    k = np.arange(counts.shape[1])
    lo, hi = np.maximum(k - before, 0), np.minimum(k + after + 1, counts.shape[1])
    rate, weight = prior
    result: np.ndarray = (cum_c[:, hi] - cum_c[:, lo] + rate * weight) / (
        cum_e[:, hi] - cum_e[:, lo] + weight
    )
    return result


def fit_shape(bins: Bins, config: DetectorConfig, prior: tuple[float, float]) -> Shape:
    """Alternate trend, daily shape and weekday adjustment, capping outliers between passes.

    prior: (rate per point, weight in points) of the gamma prior on the trend.
    """
    slots = slots_per_week(config.slot_seconds)
    per_day = DAY // config.slot_seconds
    series = bins.counts.shape[0]
    daily, weekly = np.ones((series, per_day)), np.ones((series, slots))
    alpha = np.full(series, 0.1)
    capped = _initial_cap(bins)
    half = int(config.trend_seconds // config.slot_seconds) // 2
    for _ in range(config.robust_passes + 1):
        profile = _normalised(daily[:, np.arange(slots) % per_day] * weekly)
        trend = window_ratio(capped, bins.points * profile[:, bins.slot], half, half, prior)
        base = bins.points * trend
        worth = 1.0 / (1.0 + alpha[:, None] * base * profile[:, bins.slot])
        rest = base * weekly[:, bins.slot]
        by_hour = bins.slot % per_day
        daily = _shrunk_ratio(
            capped, rest, worth, (by_hour, per_day), daily, config.shape_prior_counts
        )
        rest = base * daily[:, by_hour]
        weekly = _shrunk_ratio(
            capped, rest, worth, (bins.slot, slots), weekly, config.week_prior_counts
        )
        profile = _normalised(daily[:, np.arange(slots) % per_day] * weekly)
        expected = base * profile[:, bins.slot]
        alpha = fit_dispersion(
            bins.counts,
            expected,
            floor=config.min_dispersion,
            ceiling=config.max_dispersion,
            sigmas=config.winsor_sigmas,
        )
        capped = np.minimum(bins.counts, cap(expected, alpha, config.winsor_sigmas))
    return Shape(profile, trend, capped, alpha)


def _initial_cap(bins: Bins) -> np.ndarray:
    """Counts capped at each series' 99th percentile rate, for the first pass only: an outage
    must not inflate the first trend, which later passes would inherit through their caps."""
    rate = np.where(bins.points > 0, bins.counts / np.maximum(bins.points, 1.0), np.nan)
    ceiling = np.zeros(len(rate))
    seen = (bins.points > 0).any(axis=1)  # a series with no point yet has no rate to cap at
    if seen.any():
        ceiling[seen] = np.nanquantile(rate[seen], 0.99, axis=1)
    result: np.ndarray = np.minimum(bins.counts, bins.points * ceiling[:, None] + 1.0)
    return result


def cap(expected: np.ndarray, alpha: np.ndarray, sigmas: float) -> np.ndarray:
    """Highest count still taken at face value: mean + sigmas sd + 1 (the 1 keeps a lone
    report of a quiet series from being shaved)."""
    alpha = np.asarray(alpha)
    if alpha.ndim == 1 and expected.ndim == 2:
        alpha = alpha[:, None]
    result: np.ndarray = expected + sigmas * np.sqrt(expected * (1.0 + alpha * expected)) + 1.0
    return result


def _shrunk_ratio(
    counts: np.ndarray,
    rest: np.ndarray,
    worth: np.ndarray,
    groups: tuple[np.ndarray, int],
    previous: np.ndarray,
    prior_counts: float,
) -> np.ndarray:
    """Per group (index per bin, number of groups), observed / expected-without-this-factor,
    with prior_counts pseudo-counts pulling it to 1. Counts are weighted by `worth` =
    1 / (1 + alpha mu), their Poisson-equivalent worth under over-dispersion. In a group of
    three bins or more, the bin most above the previous estimate counts as typical: one
    outage in a slot moves that slot's shape little, however long the other passes let it be."""
    index, size = groups
    observed = group_sum(counts * worth, index, size)
    typical = group_sum(rest * worth, index, size)
    excess = (counts - rest * previous[:, index]) * worth
    crowded = np.bincount(index, minlength=size) >= 3
    observed -= np.where(crowded, np.maximum(group_max(excess, index, size), 0.0), 0.0)
    return (observed + prior_counts) / (typical + prior_counts)


def group_max(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """Largest of the columns of values (series, bins) in each of `size` groups (-inf if
    empty): (series, size)."""
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    out = np.full((values.shape[0], size), -np.inf)
    out[:, ordered[starts]] = np.maximum.reduceat(values[:, order], starts, axis=1)
    return out


def _normalised(profile: np.ndarray) -> np.ndarray:
    result: np.ndarray = profile / np.maximum(profile.mean(axis=1, keepdims=True), 1e-12)
    return result
