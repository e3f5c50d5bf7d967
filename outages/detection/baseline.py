"""The baseline: the typical count of each series at any time of the week, fitted from history.

`fit_baseline` turns history arrays (series, points) into a compact `Baseline`: one weekly
profile per series (a multiplier per 15-minute slot), a current level, the over-dispersion of
single points and of each evidence window, and the tails of their surprise. It runs daily;
`refresh_level` refits only the level from the same arrays, cheaply, hourly. Both are
vectorised over series. Scoring new points belongs to scoring.py.

Robustness: slot bins above the fit are capped before refitting (past outages do not inflate
it); missing points are NaN and simply not counted; the level follows the last day (widened
until it holds enough reports), so slow growth, decline and level shifts are followed within
hours; a gamma prior keeps new and tiny series at a few reports a day.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from outages.detection.config import DEFAULT_CONFIG, DetectorConfig
from outages.detection.noise import fit_noise, outage_mask
from outages.detection.profile import profile_at, slot_of_week, slots_per_week
from outages.detection.seasonal import Bins, cap, fit_shape, window_ratio
from outages.detection.tails import fit_tail

# Series fitted at once: bounds the memory of a fit to about 25 arrays of this many series.
_CHUNK = 64


@dataclass(frozen=True)
class Baseline:
    """Fitted baselines of n series (leading axis): expected = level x profile at that time."""

    profile: np.ndarray  # (n, slots of the week), mean 1
    level: np.ndarray  # (n,) expected count per point where the profile is 1
    dispersion: np.ndarray  # (n, 1 + windows) NB alpha of one point, then of each window
    tail_rate: np.ndarray  # (n, windows) how often each window's surprise passes TAIL_START
    tail_scale: np.ndarray  # (n, windows) exponential scale of the surprise beyond it
    bin_dispersion: np.ndarray  # (n,) NB alpha of slot bins, to cap outliers in the level
    interval: float  # seconds between points
    slot_seconds: int
    fitted_at: float  # epoch seconds: the end of the history used

    @property
    def size(self) -> int:
        return int(self.level.shape[0])

    def expected(self, times: np.ndarray | float) -> np.ndarray:
        """Expected count per point at epoch-second instants: (series, len(times))."""
        result: np.ndarray = self.level[:, None] * profile_at(
            self.profile, times, self.slot_seconds
        )
        return result

    def take(self, index: np.ndarray | list[int]) -> Baseline:
        """The baselines of some series, in the order given."""
        index = np.asarray(index, dtype=np.int64)
        return replace(
            self,
            profile=self.profile[index],
            level=self.level[index],
            dispersion=self.dispersion[index],
            tail_rate=self.tail_rate[index],
            tail_scale=self.tail_scale[index],
            bin_dispersion=self.bin_dispersion[index],
        )

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-able dict per series (to store each series' baseline on its own)."""
        meta = {
            "interval": self.interval,
            "slot_seconds": self.slot_seconds,
            "fitted_at": self.fitted_at,
        }
        return [
            {
                **meta,
                "level": float(self.level[i]),
                "profile": np.round(self.profile[i], 4).tolist(),
                "dispersion": np.round(self.dispersion[i], 6).tolist(),
                "tail_rate": np.round(self.tail_rate[i], 8).tolist(),
                "tail_scale": np.round(self.tail_scale[i], 4).tolist(),
                "bin_dispersion": float(self.bin_dispersion[i]),
            }
            for i in range(self.size)
        ]

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> Baseline:
        """Stack stored rows (same interval and slot size) back into one Baseline."""
        first = rows[0]
        return cls(
            profile=np.array([row["profile"] for row in rows], dtype=float),
            level=np.array([row["level"] for row in rows], dtype=float),
            dispersion=np.array([row["dispersion"] for row in rows], dtype=float),
            tail_rate=np.array([row["tail_rate"] for row in rows], dtype=float),
            tail_scale=np.array([row["tail_scale"] for row in rows], dtype=float),
            bin_dispersion=np.array([row["bin_dispersion"] for row in rows], dtype=float),
            interval=float(first["interval"]),
            slot_seconds=int(first["slot_seconds"]),
            fitted_at=max(float(row["fitted_at"]) for row in rows),
        )


def prior_baseline(
    series: int, *, interval: float, at: float, config: DetectorConfig = DEFAULT_CONFIG
) -> Baseline:
    """The baseline of series with no history yet: flat, at the prior rate."""
    rate, scale = fit_tail(np.zeros((series, 0)), np.zeros((series, 0), dtype=bool))
    windows = len(config.windows)
    return Baseline(
        profile=np.ones((series, slots_per_week(config.slot_seconds))),
        level=np.full(series, _prior(interval, config)[0]),
        dispersion=np.full((series, 1 + windows), config.prior_dispersion),
        tail_rate=np.repeat(rate[:, None], windows, axis=1),
        tail_scale=np.repeat(scale[:, None], windows, axis=1),
        bin_dispersion=np.full(series, config.prior_dispersion),
        interval=float(interval),
        slot_seconds=config.slot_seconds,
        fitted_at=float(at),
    )


def fit_baseline(
    values: np.ndarray,
    *,
    start: float,
    interval: float,
    config: DetectorConfig = DEFAULT_CONFIG,
) -> Baseline:
    """Fit baselines from history: values (series, points) or (points,), evenly spaced
    `interval` seconds apart from epoch second `start`, NaN where missing. Only the last
    config.history_seconds are used; the result describes the instant after the last point."""
    values, start = _history(values, start, interval, config)
    if values.shape[1] == 0:
        end = start + values.shape[1] * interval
        return prior_baseline(values.shape[0], interval=interval, at=end, config=config)
    parts = [
        _fit_chunk(values[i : i + _CHUNK], start, interval, config)
        for i in range(0, values.shape[0], _CHUNK)
    ]
    profile, level, dispersion, tail_rate, tail_scale, bin_dispersion = (
        np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))
    )
    return Baseline(
        profile,
        level,
        dispersion,
        tail_rate,
        tail_scale,
        bin_dispersion,
        interval=float(interval),
        slot_seconds=config.slot_seconds,
        fitted_at=start + values.shape[1] * interval,
    )


def refresh_level(
    baseline: Baseline,
    values: np.ndarray,
    *,
    start: float,
    interval: float,
    config: DetectorConfig = DEFAULT_CONFIG,
) -> Baseline:
    """The baseline with only its level refitted from history (same arguments as
    fit_baseline): cheap enough to run hourly between the daily full fits."""
    values, start = _history(values, start, interval, config)
    points = values.shape[1]
    end = start + points * interval
    level, prior = baseline.level.copy(), _prior(interval, config)
    todo = np.arange(values.shape[0]) if points else np.arange(0)
    length = int(config.level_seconds // interval)
    # Most series hold enough reports in the last days: read older points only for the rest.
    while len(todo):
        length = min(4 * length, points)
        part = baseline.take(todo)
        times = end - interval * np.arange(length, 0, -1)
        bins, _ = _bins(values[todo, -length:], times, config.slot_seconds)
        exposure = bins.points * part.profile[:, bins.slot]
        found = _current_level(bins.counts, exposure, part.bin_dispersion, config, prior)
        done = (bins.counts.sum(axis=1) >= config.level_min_counts) | (length == points)
        level[todo[done]] = found[done]
        todo = todo[~done]
    return replace(baseline, level=level, fitted_at=end)


def _history(
    values: np.ndarray, start: float, interval: float, config: DetectorConfig
) -> tuple[np.ndarray, float]:
    """The last history_seconds of values as a 2-D float array, and its start."""
    # Counts: a negative value cannot be one, so it counts as 0.
    values = np.maximum(np.atleast_2d(np.asarray(values, dtype=float)), 0.0)
    keep = int(config.history_seconds // interval)
    if values.shape[1] > keep:
        start += (values.shape[1] - keep) * interval
        values = values[:, -keep:]
    return values, float(start)


def _fit_chunk(
    values: np.ndarray, start: float, interval: float, config: DetectorConfig
) -> tuple[np.ndarray, ...]:
    """Every fitted field of a few series (one memory-bounded step of a fit)."""
    times = start + interval * np.arange(values.shape[1])
    bins, first_point = _bins(values, times, config.slot_seconds)
    prior = _prior(interval, config)
    shape = fit_shape(bins, config, prior)
    exposure = bins.points * shape.profile[:, bins.slot]
    level = _current_level(bins.counts, exposure, shape.alpha, config, prior)
    # The level each point would have been scored with: the trailing level before its bin.
    span = max(1, int(config.level_seconds // config.slot_seconds))
    trailing = window_ratio(shape.capped, exposure, span, -1, prior)
    expected = trailing[:, np.searchsorted(first_point, np.arange(values.shape[1]), "right") - 1]
    expected *= profile_at(shape.profile, times, config.slot_seconds)
    skip = min(int(config.level_seconds // interval), values.shape[1] // 2)
    skip = max(skip, values.shape[1] - int(config.noise_seconds // interval))
    recent, typical = values[:, skip:], expected[:, skip:]
    recent = np.where(outage_mask(recent, typical, config, interval), np.nan, recent)
    noise = fit_noise(recent, typical, config, interval)
    return (shape.profile, level, *noise, shape.alpha)


def _bins(values: np.ndarray, times: np.ndarray, slot_seconds: int) -> tuple[Bins, np.ndarray]:
    """Sum points into one bin per slot visited; also each bin's first point index."""
    absolute = np.floor(times / slot_seconds).astype(np.int64)
    first = np.flatnonzero(np.r_[True, absolute[1:] != absolute[:-1]])
    valid = ~np.isnan(values)
    counts = np.add.reduceat(np.where(valid, values, 0.0), first, axis=1)
    points = np.add.reduceat(valid.astype(float), first, axis=1)
    slot = slot_of_week(absolute[first] * slot_seconds + 0.5 * slot_seconds, slot_seconds)
    return Bins(counts, points, slot), first


def _current_level(
    counts: np.ndarray,
    exposure: np.ndarray,
    alpha: np.ndarray,
    config: DetectorConfig,
    prior: tuple[float, float],
) -> np.ndarray:
    """Level over the trailing level_seconds, widened (doubling) until it holds
    level_min_counts reports. Huber-like: bins above the running estimate are capped, twice,
    so a few outage hours move it little while a level shift is followed within hours."""
    span = max(1, int(config.level_seconds // config.slot_seconds))
    recent_counts = np.cumsum(counts[:, ::-1], axis=1)
    bins = counts.shape[1]
    lengths = sorted({min(span * 2**i, bins) for i in range(8)})
    enough = np.stack([recent_counts[:, n - 1] >= config.level_min_counts for n in lengths], 1)
    choice = np.where(enough.any(axis=1), enough.argmax(axis=1), len(lengths) - 1)
    inside = np.arange(bins)[None, :] >= bins - np.asarray(lengths)[choice][:, None]
    counts, exposure = np.where(inside, counts, 0.0), np.where(inside, exposure, 0.0)
    rate, weight = prior
    level: np.ndarray = (counts.sum(axis=1) + rate * weight) / (exposure.sum(axis=1) + weight)
    for _ in range(config.robust_passes):
        capped = np.minimum(counts, cap(level[:, None] * exposure, alpha, config.winsor_sigmas))
        level = (capped.sum(axis=1) + rate * weight) / (exposure.sum(axis=1) + weight)
    return level


def _prior(interval: float, config: DetectorConfig) -> tuple[float, float]:
    """Gamma prior on the level: (rate per point, weight in points)."""
    return config.prior_rate_per_hour * interval / 3600.0, config.prior_seconds / interval
