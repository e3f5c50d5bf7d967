"""How noisy a series is around its baseline: negative-binomial over-dispersion of single points
and of each evidence window, and the tail of each window's surprise, from past points and the
values the baseline expected for them (as it would have, live).

Fitting the profile and level belongs to baseline.py; using these numbers, to scoring.py.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from outages.detection.config import DetectorConfig
from outages.detection.counts import History, fit_dispersion, history_sums, surprise
from outages.detection.tails import fit_tail

# Windows sampled per series for the window fits: overlapping ones while there are fewer than
# _ENOUGH, and at most about _MOST (a month of minutes is sampled every 5 minutes: the cost of
# a fit stays flat as history grows, and a few thousand windows pin down a 1% tail).
_ENOUGH, _MOST = 2000, 8640
WEEK = 7 * 86_400.0


def fit_noise(
    values: np.ndarray, expected: np.ndarray, config: DetectorConfig, interval: float = 60.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(alpha (series, 1 + windows), tail rate (series, windows), tail scale (series, windows))
    from values and expected values (series, points), NaN where missing."""
    fit: _Fit = {
        "floor": config.min_dispersion,
        "ceiling": config.max_dispersion,
        "sigmas": config.winsor_sigmas,
        "tail": config.tail_share,
    }
    alphas, rates, scales = [], [], []
    history = History.of(values, expected)
    windows = config.windows_at(interval)
    for width in windows:
        points = values.shape[1]
        stride = max(1, min(points // _ENOUGH, width), points // _MOST)
        kept, typical = history_sums(history, width, stride)
        alpha = fit_dispersion(kept, typical, **fit)
        z = surprise(kept, typical, 1.0 + alpha[:, None] * typical)
        rate, scale = fit_tail(z, typical > 0, config.burst_share, config.tail_record)
        alphas.append(alpha)
        rates.append(rate)
        scales.append(scale)
    # Single points, for the chart band: the window of 1 when there is one.
    if 1 in windows:
        point = alphas[windows.index(1)]
    else:
        point = _point_alpha(values, expected, fit)
    return np.stack([point, *alphas], axis=1), np.stack(rates, axis=1), np.stack(scales, axis=1)


def outage_mask(
    values: np.ndarray, expected: np.ndarray, config: DetectorConfig, interval: float
) -> np.ndarray:
    """Points of past outages, to leave out of the noise fit: every point of a window of
    mask_seconds whose sum is mask_ratio times its expected sum, min_excess reports over it
    and mask_z surprising under the series' own robust noise of such windows (winsorised
    negative binomial; under Poisson, a tweet-like series that doubles for half an hour every
    day had a tenth of its history masked and then alerted on every swing). A series' past
    outages must not teach it that outages are its usual noise (with an outage a week, a few
    percent of its points are outages, more than tail_share); chronic short bursts stay in,
    their window sums are not doubled; and a series raised more than mask_per_week times a
    week keeps only that many of its strongest episodes out (`_usual_outages_kept`)."""
    width = max(2, int(round(config.mask_seconds / interval)))
    if values.shape[1] < width:
        return np.zeros(values.shape, dtype=bool)
    valid = ~np.isnan(values)
    zero = np.zeros((values.shape[0], 1))
    cx = np.concatenate([zero, np.cumsum(np.where(valid, values, 0.0), axis=1)], axis=1)
    cm = np.concatenate([zero, np.cumsum(np.where(valid, expected, 0.0), axis=1)], axis=1)
    sx, sm = cx[:, width:] - cx[:, :-width], cm[:, width:] - cm[:, :-width]
    # The series' own noise of such windows, winsorised so that its outages do not widen it.
    blocks = slice(None, None, width)
    alpha = fit_dispersion(
        sx[:, blocks],
        sm[:, blocks],
        floor=0.0,
        ceiling=config.max_dispersion,
        sigmas=config.winsor_sigmas,
    )
    z = surprise(sx, sm, 1.0 + alpha[:, None] * sm)
    raised = (sx >= config.mask_ratio * sm) & (sx - sm >= config.min_excess) & (z >= config.mask_z)
    # A raised window starting at point j masks its points j .. j + width - 1.
    n = values.shape[0]
    starts = np.concatenate([raised, np.zeros((n, width - 1))], axis=1)
    running = np.concatenate([np.zeros((n, 1)), np.cumsum(starts, axis=1)], axis=1)
    before = np.concatenate([np.zeros((n, width)), running[:, 1:-width]], axis=1)
    mask = np.asarray((running[:, 1:] - before) > 0)
    weeks = mask.shape[1] * interval / WEEK
    return _usual_outages_kept(mask, raised, z, config.mask_per_week * weeks)


def _usual_outages_kept(
    mask: np.ndarray, raised: np.ndarray, z: np.ndarray, allowed: float
) -> np.ndarray:
    """The mask keeping, in a series raised more often than `allowed` times, only its
    `allowed` strongest episodes: outages are rare, and a series raised as often as that is
    raised as usual (its weaker episodes then stay in the noise fit and teach it so)."""
    most = max(1, int(allowed))
    starts = mask & ~np.concatenate([np.zeros((mask.shape[0], 1), bool), mask[:, :-1]], axis=1)
    for s in np.flatnonzero(starts.sum(axis=1) > most):
        episode = np.cumsum(starts[s]) * mask[s]
        strength = np.full(int(episode.max()) + 1, -np.inf)
        np.maximum.at(strength, episode[: z.shape[1]], np.where(raised[s], z[s], -np.inf))
        strength[0] = -np.inf
        kept = np.argsort(-strength)[:most]
        mask[s] &= np.isin(episode, kept)
    return mask


class _Fit(TypedDict):
    """fit_dispersion's settings."""

    floor: float
    ceiling: float
    sigmas: float
    tail: float


def _point_alpha(values: np.ndarray, expected: np.ndarray, fit: _Fit) -> np.ndarray:
    valid = ~np.isnan(values)
    return fit_dispersion(np.where(valid, values, 0.0), np.where(valid, expected, 0.0), **fit)
