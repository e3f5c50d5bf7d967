"""Tail calibration: how rare a surprise really is for this series, learned from its history.

Report counts are burstier than any count model says: out of sample, z >= 5 under a fitted
negative binomial happens about once in 500 points on real series, not once in 3 million. So
each series and window keeps a peaks-over-threshold fit of its own history: the rate at which
its surprise exceeds TAIL_START, and the scale of an exponential tail beyond, from the median
exceedance (robust: past outages, fewer than half of the exceedances, barely move it). A
surprise is then re-expressed as the standard-normal z of that tail probability.
"""

from __future__ import annotations

import math

import numpy as np

TAIL_START = 2.0
# Prior: a few pseudo-exceedances at the normal rate with a moderately heavy scale, so short
# histories and quiet series (few exceedances) stay near a plain, slightly widened tail.
_PRIOR_COUNT = 10.0
_PRIOR_SCALE = 0.6
_NORMAL_RATE = 0.5 * math.erfc(TAIL_START / math.sqrt(2.0))


def fit_tail(
    z: np.ndarray, valid: np.ndarray, share: float = 0.0, record: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """(exceedance rate, exponential scale) per series from past surprises (series, samples).

    With a share, the scale is at least what puts that share of the samples beyond the
    series' own empirical quantile: a series that bursts again and again (a few raised points
    a day, too few to move the median exceedance) learns that such bursts are its usual. With
    record, the scale is also at least what makes the series' record (its highest sample) as
    rare as one in its samples: a rise no higher than one it has already made stays below
    rare_z, however few such rises its history holds."""
    over = valid & (z > TAIL_START)
    count = over.sum(axis=1)
    samples = valid.sum(axis=1)
    excess = np.where(over, z - TAIL_START, np.nan)
    median = np.zeros(len(count))
    some = count > 0
    if some.any():
        median[some] = np.nanmedian(excess[some], axis=1)
    scale = (count * median / math.log(2.0) + _PRIOR_COUNT * _PRIOR_SCALE) / (count + _PRIOR_COUNT)
    rate = (count + _PRIOR_COUNT * _NORMAL_RATE) / (samples + _PRIOR_COUNT)
    if share > 0 and z.shape[1]:
        scale = np.maximum(scale, _quantile_scale(z, valid, samples, rate, share))
    if record and z.shape[1]:
        top = np.where(valid, z, -np.inf).max(axis=1)
        odds = np.log(np.maximum(rate * samples, 1.0 + 1e-9))
        usable = (top > TAIL_START) & (rate * samples > 1.0)
        scale = np.maximum(scale, np.where(usable, (top - TAIL_START) / odds, 0.0))
    return rate, scale


def _quantile_scale(
    z: np.ndarray, valid: np.ndarray, samples: np.ndarray, rate: np.ndarray, share: float
) -> np.ndarray:
    """The exponential scale putting `share` of the samples beyond their empirical quantile
    (0 where that quantile is not beyond TAIL_START or there are too few samples)."""
    rank = np.floor(share * samples).astype(np.int64)  # samples strictly above the quantile
    deepest = int(min(max(rank.max(), 0) + 1, z.shape[1]))
    ranked = np.where(valid, z, -np.inf)
    top = -np.sort(np.partition(-ranked, deepest - 1, axis=1)[:, :deepest], axis=1)
    quantile = top[np.arange(len(rank)), np.clip(rank, 0, deepest - 1)]
    odds = np.log(np.maximum(rate / share, 1.0 + 1e-9))
    usable = (rank >= 3) & (quantile > TAIL_START) & (rate > share)
    return np.where(usable, (quantile - TAIL_START) / odds, 0.0)


def calibrated(z: np.ndarray, rate: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The standard-normal z of each surprise's tail probability under the fitted tail.

    Beyond TAIL_START the probability is rate * exp(-(z - TAIL_START) / scale); below it the
    surprise is scaled linearly so that the map is continuous and increasing.
    """
    log_p = np.log(rate) - np.maximum(z - TAIL_START, 0.0) / scale
    at_start = normal_isf_log(np.log(rate))
    return np.where(z > TAIL_START, normal_isf_log(log_p), z * at_start / TAIL_START)


def normal_isf_log(log_p: np.ndarray) -> np.ndarray:
    """Standard-normal z with upper-tail probability exp(log_p), for p <= 0.5 (Abramowitz &
    Stegun 26.2.23, error below 5e-4; computed from log p so that tiny p do not underflow)."""
    t = np.sqrt(-2.0 * np.minimum(log_p, math.log(0.5)))
    numerator = 2.515517 + 0.802853 * t + 0.010328 * t**2
    denominator = 1.0 + 1.432788 * t + 0.189269 * t**2 + 0.001308 * t**3
    result: np.ndarray = t - numerator / denominator
    return result
