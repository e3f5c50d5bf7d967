"""Count statistics shared by fitting and scoring: how surprising a count is, window sums that
leave the largest point out, and the negative-binomial over-dispersion of such sums.

Arrays only, vectorised over series (leading axis); missing points are NaN. No state, no time.
"""

from __future__ import annotations

import math

import numpy as np


def surprise(observed: np.ndarray, expected: np.ndarray, dispersion: np.ndarray) -> np.ndarray:
    """Upper-tail surprise of counts, as a standard-normal z (0 when not above expected).

    Negative binomial with variance expected * dispersion, treated as a Poisson on counts scaled
    down by the dispersion factor; the Poisson tail P(X >= x) uses the Wilson-Hilferty cube-root
    approximation of the matching gamma tail, which holds at low counts too (a z is off by less
    than 0.3 at P = 1e-6) and needs no special functions.
    """
    dispersion = np.maximum(dispersion, 1.0)
    x = np.maximum(np.asarray(observed, dtype=float), 0.0) / dispersion
    mu = np.maximum(np.asarray(expected, dtype=float), 1e-9) / dispersion
    above = x > mu
    x = np.where(above, x, 1.0)
    z = 3.0 * np.sqrt(x) * (1.0 - 1.0 / (9.0 * x) - np.cbrt(np.where(above, mu, 1.0) / x))
    return np.where(above, np.maximum(z, 0.0), 0.0)


def leave_max_out(observed: np.ndarray, expected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums over the last axis without its point of largest excess: (observed, expected).

    A deviation carried by one point is not sustained; dropping that point makes every window
    need at least two raised points. Windows with fewer than two valid points sum to 0. A
    window of one point is the exception: its plain value (single points are scored apart).
    """
    valid = ~np.isnan(observed)
    if observed.shape[-1] == 1:
        return np.where(valid, observed, 0.0)[..., 0], np.where(valid, expected, 0.0)[..., 0]
    x = np.where(valid, observed, 0.0)
    mu = np.where(valid, expected, 0.0)
    top = np.argmax(np.where(valid, x - mu, -np.inf), axis=-1)[..., None]
    enough = valid.sum(axis=-1) >= 2
    kept_x = x.sum(axis=-1) - np.take_along_axis(x, top, axis=-1)[..., 0]
    kept_mu = mu.sum(axis=-1) - np.take_along_axis(mu, top, axis=-1)[..., 0]
    return np.where(enough, kept_x, 0.0), np.where(enough, kept_mu, 0.0)


def window_sums(
    observed: np.ndarray, expected: np.ndarray, windows: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Leave-max-out sums over each window of latest points: two arrays (series, windows).

    observed and expected are (series, points), newest point last. Same sums as
    leave_max_out on each window (a window of 1 is the latest point itself), computed for all
    windows in one pass over the suffixes.
    """
    valid = ~np.isnan(observed[:, ::-1])
    x = np.where(valid, observed[:, ::-1], 0.0)
    mu = np.where(valid, expected[:, ::-1], 0.0)
    excess = np.where(valid, x - mu, -np.inf)
    top = np.maximum.accumulate(excess, axis=1)
    # Index of each suffix's most raised point: the last place the running maximum was set.
    where = np.maximum.accumulate(np.where(excess == top, np.arange(x.shape[1]), 0), axis=1)
    columns = np.asarray(windows) - 1
    rows = np.arange(x.shape[0])[:, None]
    at = where[:, columns]
    single = columns == 0
    enough = np.cumsum(valid, axis=1)[:, columns] >= np.where(single, 1, 2)
    kept_x = np.cumsum(x, axis=1)[:, columns] - np.where(single, 0.0, x[rows, at])
    kept_mu = np.cumsum(mu, axis=1)[:, columns] - np.where(single, 0.0, mu[rows, at])
    return np.where(enough, kept_x, 0.0), np.where(enough, kept_mu, 0.0)


def block_sums(
    observed: np.ndarray, expected: np.ndarray, width: int, stride: int | None = None
) -> tuple[np.ndarray, ...]:
    """Leave-max-out sums over windows of `width` points every `stride` points (default: not
    overlapping), the last window ending at the last point: two arrays (series, windows).

    Same sums as leave_max_out on each window, from running sums and one argmax over a
    strided view, so long histories are not copied once per window.
    """
    stride = stride or width
    series, points = observed.shape
    if points < width:
        return np.zeros((series, 0)), np.zeros((series, 0))
    valid = ~np.isnan(observed)
    x = np.where(valid, observed, 0.0)
    mu = np.where(valid, expected, 0.0)
    first = (points - width) % stride
    starts = np.arange(first, points - width + 1, stride)
    zero = np.zeros((series, 1))
    window = [
        (c[:, starts + width] - c[:, starts])
        for c in (np.concatenate([zero, np.cumsum(a, axis=1)], axis=1) for a in (x, mu, valid))
    ]
    if width == 1:
        return window[0], window[1]
    excess = np.where(valid, x - mu, -np.inf)
    view = np.lib.stride_tricks.sliding_window_view(excess, width, axis=1)[:, first::stride]
    top = np.argmax(view, axis=2) + starts[None, :]
    rows = np.arange(series)[:, None]
    enough = window[2] >= 2
    kept_x = np.where(enough, window[0] - x[rows, top], 0.0)
    return kept_x, np.where(enough, window[1] - mu[rows, top], 0.0)


def fit_dispersion(
    observed: np.ndarray,
    expected: np.ndarray,
    *,
    floor: float,
    ceiling: float,
    sigmas: float,
    tail: float = 0.0,
    passes: int = 4,
) -> np.ndarray:
    """Negative-binomial over-dispersion alpha (variance = mu + alpha mu^2) per series, from
    sums (series, samples) and their expected values; samples with expected 0 are ignored.

    Method of moments, sum((x - mu)^2 - x) / sum(mu^2), with residuals winsorised at `sigmas`
    standard deviations under the previous estimate so that past outages do not widen it.
    """
    used = expected > 0
    mu = np.where(used, expected, 0.0)
    residual = np.where(used, observed - expected, 0.0)
    weight = np.maximum((mu**2).sum(axis=1), 1e-9)
    alpha = np.full(observed.shape[0], 0.1)
    for _ in range(passes):
        cap = sigmas * np.sqrt(mu * (1.0 + alpha[:, None] * mu))
        r = np.clip(residual, -cap, cap)
        excess = (r**2 - np.where(used, mu + r, 0.0)).sum(axis=1)
        alpha = np.clip(excess / weight, floor, ceiling)
    if tail:
        alpha = np.maximum(alpha, tail_dispersion(observed, expected, tail, ceiling))
    return alpha


def tail_dispersion(
    observed: np.ndarray, expected: np.ndarray, tail: float, ceiling: float, min_mean: float = 3.0
) -> np.ndarray:
    """The alpha at which a fraction `tail` of samples lies above mean + z_tail sd (one-sided):
    a heavy upper tail (a series that often bursts) widens the band, while rare outages (less
    than `tail` of the time) do not. Only samples expecting min_mean or more count, where the
    normal approximation of the tail holds; series with too few of them get 0."""
    if observed.shape[1] == 0:
        return np.zeros(observed.shape[0])
    z_tail = _normal_quantile(1.0 - tail)
    eligible = expected >= min_mean
    mu = np.where(eligible, expected, 1.0)
    above = eligible & (observed > expected)
    needed = np.where(above, ((observed - expected) ** 2 / (z_tail**2 * mu) - 1.0) / mu, -np.inf)
    count = eligible.sum(axis=1)
    rank = np.ceil(tail * count).astype(np.int64)
    # Only the top ranks matter: partition them out, then sort that slice alone.
    deepest = int(min(max(rank.max(), 1), needed.shape[1]))
    top = -np.partition(-needed, deepest - 1, axis=1)[:, :deepest]
    ordered = -np.sort(-top, axis=1)
    value = ordered[np.arange(len(rank)), np.clip(rank - 1, 0, deepest - 1)]
    usable = count * tail >= 5
    return np.where(usable, np.clip(value, 0.0, ceiling), 0.0)


def _normal_quantile(p: float) -> float:
    """Standard-normal quantile (Acklam-free: bisection on erf is plenty for one constant)."""
    low, high = -10.0, 10.0
    for _ in range(80):
        mid = 0.5 * (low + high)
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)
