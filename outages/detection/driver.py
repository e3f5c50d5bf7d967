"""Streaming driver: many series scored point by point, refitting baselines from past data only.

This is what backfills, tests and the command line run, and what the product does live: at
each refit_seconds boundary of data time (hourly) the level is refitted from the points before
it, and the whole baseline at each full_refit_seconds boundary (daily) or whenever the history
has doubled since the last full fit (young series); then every point is scored with `step`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from outages.detection.baseline import Baseline, fit_baseline, prior_baseline, refresh_level
from outages.detection.config import DEFAULT_CONFIG, DetectorConfig
from outages.detection.incidents import DetectedEvent
from outages.detection.stream import DetectorState, epoch_seconds, step


@dataclass(frozen=True)
class Point:
    """One scored point of a series."""

    timestamp: datetime
    value: float
    score: float  # >= 0.5 exactly when an incident opens here
    expected: float
    lower: float
    upper: float
    surprise: float  # evidence behind the score, a standard-normal z
    level: int  # incident level after this point
    events: tuple[DetectedEvent, ...]


@dataclass(frozen=True)
class BatchResult:
    """Per-point arrays (series, points) of a streamed history, and every event raised."""

    score: np.ndarray
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    surprise: np.ndarray
    level: np.ndarray
    events: list[tuple[int, DetectedEvent]]  # (point index, event)


def detect_batch(
    values: np.ndarray,
    *,
    start: float | datetime,
    interval: float,
    config: DetectorConfig = DEFAULT_CONFIG,
) -> BatchResult:
    """Score evenly spaced histories (series, points) from `start` as the product would have,
    live: each point sees only the points before it and itself. NaN marks a missing point."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    series, points = values.shape
    times = epoch_seconds(start) + interval * np.arange(points)
    out = {k: np.zeros((series, points)) for k in ("score", "expected", "lower", "upper")}
    out["surprise"], out["level"] = np.zeros((series, points)), np.zeros((series, points), int)
    events: list[tuple[int, DetectedEvent]] = []
    fits = _Refits(series, interval, times[0] if points else 0.0, config)
    state = DetectorState.new(series, config, interval)
    for i in range(points):
        baseline = fits.baseline_at(values[:, :i], times[0], times[i])
        result = step(baseline, state, values[:, i], now=times[i], config=config)
        state = result.state
        for key in out:
            out[key][:, i] = getattr(result, key)
        events.extend((i, event) for event in result.events)
    return BatchResult(**out, events=events)


def detect_series(
    timestamps: Sequence[datetime],
    values: Sequence[float],
    config: DetectorConfig = DEFAULT_CONFIG,
    *,
    interval: float | None = None,
) -> list[Point]:
    """Score one series point by point (see detect_batch). timestamps: aware datetimes in
    increasing order at a fixed interval (their median spacing unless given); a gap counts as
    missing points."""
    if len(timestamps) == 0:
        return []
    times = np.array([epoch_seconds(t) for t in timestamps])
    interval = interval or _interval(times)
    grid = np.rint((times - times[0]) / interval).astype(np.int64)
    regular = np.full(grid[-1] + 1, np.nan)
    regular[grid] = np.asarray(values, dtype=float)
    run = detect_batch(regular[None, :], start=times[0], interval=interval, config=config)
    by_point: dict[int, list[DetectedEvent]] = {}
    for i, event in run.events:
        by_point.setdefault(i, []).append(event)
    return [
        Point(
            timestamp=timestamps[k],
            value=float(values[k]),
            score=float(run.score[0, g]),
            expected=float(run.expected[0, g]),
            lower=float(run.lower[0, g]),
            upper=float(run.upper[0, g]),
            surprise=float(run.surprise[0, g]),
            level=int(run.level[0, g]),
            events=tuple(by_point.get(int(g), ())),
        )
        for k, g in enumerate(grid)
    ]


class _Refits:
    """The refit schedule of the streaming driver: which baseline holds at each point."""

    def __init__(self, series: int, interval: float, first: float, config: DetectorConfig):
        self.interval, self.config = interval, config
        self.current: Baseline = prior_baseline(series, interval=interval, at=first, config=config)
        self.full_points = 0  # history length at the last full fit (0: none yet)

    def baseline_at(self, history: np.ndarray, start: float, at: float) -> Baseline:
        """The baseline in force at `at`, refitted first if a refit is due."""
        points = history.shape[1]
        if points == 0 or not _crossed(self.current.fitted_at, at, self.config.refit_seconds):
            return self.current
        full = self.full_points == 0 or points >= 2 * self.full_points
        full |= _crossed(self.current.fitted_at, at, self.config.full_refit_seconds)
        interval, config = self.interval, self.config
        if full:
            self.current = fit_baseline(history, start=start, interval=interval, config=config)
            self.full_points = points
        else:
            self.current = refresh_level(
                self.current, history, start=start, interval=interval, config=config
            )
        return self.current


def _crossed(since: float, at: float, every: float) -> bool:
    """Whether a multiple of `every` seconds lies in (since, at]."""
    return bool(np.floor(at / every) > np.floor(since / every))


def _interval(times: np.ndarray) -> float:
    steps = np.diff(times)
    steps = steps[steps > 0]
    return float(np.median(steps)) if len(steps) else 60.0
