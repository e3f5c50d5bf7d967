"""Count statistics shared by fitting and scoring: how surprising a count is, window sums that
leave the largest point out, and the negative-binomial over-dispersion of such sums.

Arrays only, vectorised over series (leading axis); missing points are NaN. No state, no time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from outages.detection.tails import normal_isf_log


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


@dataclass(frozen=True)
class History:
    """Past points prepared once for many window sizes: zero-filled values, excess over
    expected (-inf where missing) and running sums with a leading 0, all (series, ...)."""

    x: np.ndarray
    mu: np.ndarray
    excess: np.ndarray
    sum_x: np.ndarray
    sum_mu: np.ndarray
    sum_valid: np.ndarray

    @classmethod
    def of(cls, observed: np.ndarray, expected: np.ndarray) -> History:
        valid = ~np.isnan(observed)
        x = np.where(valid, observed, 0.0)
        mu = np.where(valid, expected, 0.0)
        zero = np.zeros((observed.shape[0], 1))

        def running(a: np.ndarray) -> np.ndarray:
            return np.concatenate([zero, np.cumsum(a, axis=1)], axis=1)

        excess = np.where(valid, x - mu, -np.inf)
        return cls(x, mu, excess, running(x), running(mu), running(valid))


def block_sums(
    observed: np.ndarray, expected: np.ndarray, width: int, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Leave-max-out sums over windows of `width` points every `stride` points (default: not
    overlapping), the last window ending at the last point: two arrays (series, windows)."""
    return history_sums(History.of(observed, expected), width, stride)


def history_sums(
    history: History, width: int, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """block_sums on prepared history: the same sums as leave_max_out on each window, from
    running sums and one argmax over a strided view, so nothing is copied per window."""
    stride = stride or width
    series, points = history.x.shape
    if points < width:
        return np.zeros((series, 0)), np.zeros((series, 0))
    first = (points - width) % stride
    starts = np.arange(first, points - width + 1, stride)
    x, mu, valid = (
        c[:, starts + width] - c[:, starts]
        for c in (history.sum_x, history.sum_mu, history.sum_valid)
    )
    if width == 1:
        return x, mu
    view = np.lib.stride_tricks.sliding_window_view(history.excess, width, axis=1)
    top = np.argmax(view[:, first::stride], axis=2) + starts[None, :]
    rows = np.arange(series)[:, None]
    enough = valid >= 2
    return (
        np.where(enough, x - history.x[rows, top], 0.0),
        np.where(enough, mu - history.mu[rows, top], 0.0),
    )


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
    z_tail = float(normal_isf_log(np.log(tail)))
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
