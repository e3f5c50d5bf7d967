"""The per-point step of many series at once, and its small serializable state.

`step` takes the latest value of every series, their fitted baselines and their state, and
returns scores, expected values, chart bands, incident events and the next state (and
`step_ahead` opens incidents early on a point still in progress). It reads
only the state (the last few points) and the baseline, so a score at time t uses only data up
to t. Fitting is in baseline.py; the driver that replays histories point by point (backfills,
tests, the command line) is in driver.py.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from outages.detection.baseline import Baseline
from outages.detection.config import DEFAULT_CONFIG, DetectorConfig
from outages.detection.incidents import DetectedEvent, Evidence, Incidents, advance, open_ahead
from outages.detection.scoring import anomaly_score, band, window_evidence


@dataclass(frozen=True)
class DetectorState:
    """What a step remembers per series (leading axis): the latest points and their expected
    values (newest last, NaN before any), the instant of the last point and the incident."""

    observed: np.ndarray  # (n, longest window)
    expected: np.ndarray  # (n, longest window)
    last_at: np.ndarray  # (n,) epoch seconds, NaN before the first point
    incidents: Incidents

    @classmethod
    def new(
        cls, series: int, config: DetectorConfig = DEFAULT_CONFIG, interval: float = 60.0
    ) -> DetectorState:
        """At rest, remembering the points of the longest window at `interval` seconds."""
        empty = np.full((series, max(config.windows_at(interval))), np.nan)
        return cls(empty, empty.copy(), np.full(series, np.nan), Incidents.empty(series))

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-able dict per series (NaN as None)."""
        return [
            {
                "observed": _listed(self.observed[i]),
                "expected": _listed(self.expected[i]),
                "last_at": _listed(self.last_at[i : i + 1])[0],
                "incident": self.incidents.row(i),
            }
            for i in range(len(self.last_at))
        ]

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> DetectorState:
        def array(key: str) -> np.ndarray:
            return np.array([[np.nan if v is None else v for v in r[key]] for r in rows], float)

        last = np.array([np.nan if r["last_at"] is None else r["last_at"] for r in rows], float)
        incidents = Incidents.from_rows([r["incident"] for r in rows])
        return cls(array("observed"), array("expected"), last, incidents)


@dataclass(frozen=True)
class StepResult:
    """One step of n series: per-series arrays, the events raised, and the next state."""

    score: np.ndarray  # anomaly score in [0, 1]; >= 0.5 exactly at an alert
    expected: np.ndarray  # the baseline's expected count for this point
    lower: np.ndarray  # typical range for charts
    upper: np.ndarray
    surprise: np.ndarray  # gated evidence, a standard-normal z
    level: np.ndarray  # incident level after this point (0 = no incident)
    events: list[DetectedEvent]
    state: DetectorState


def step(
    baseline: Baseline,
    state: DetectorState,
    values: np.ndarray,
    *,
    now: float | datetime,
    config: DetectorConfig = DEFAULT_CONFIG,
) -> StepResult:
    """Score the point at `now` (epoch seconds or an aware datetime) of every series.

    values: (n,) counts for the interval starting at `now`, NaN where unknown. Intervals
    skipped since a series' last point count as missing.
    """
    at = epoch_seconds(now)
    pushed = _pushed(baseline, state, values, at, config)
    evidence = pushed.evidence
    incidents, alert, events = advance(state.incidents, evidence, baseline.interval, config)
    lower, upper = band(evidence.expected, baseline.dispersion, config)
    return StepResult(
        score=anomaly_score(evidence.gated, alert, config),
        expected=evidence.expected,
        lower=lower,
        upper=upper,
        surprise=evidence.gated,
        level=incidents.level.astype(int),
        events=events,
        state=replace(
            state,
            observed=pushed.observed,
            expected=pushed.expected,
            last_at=np.full(len(evidence.value), at),
            incidents=incidents,
        ),
    )


def step_ahead(
    baseline: Baseline,
    state: DetectorState,
    values: np.ndarray,
    *,
    now: float | datetime,
    fraction: float,
    config: DetectorConfig = DEFAULT_CONFIG,
) -> tuple[DetectorState, list[DetectedEvent]]:
    """Open incidents early on the point at `now` while it is still in progress.

    values: (n,) counts so far, once `fraction` (0 to 1) of the interval has elapsed; they are
    judged against that fraction of the expected count, by the rules of `step`, but only to
    open incidents (incidents.open_ahead). Returns the state to keep (the one before the
    point, with the incidents opened) and their open events; `step` scores the point in full
    once it is complete.
    """
    at = epoch_seconds(now)
    evidence = _pushed(baseline, state, values, at, config, fraction=fraction).evidence
    incidents, events = open_ahead(state.incidents, evidence, baseline.interval, config)
    return replace(state, incidents=incidents), events


@dataclass(frozen=True)
class _Pushed:
    """The windows with the new point pushed in, and the evidence they hold."""

    observed: np.ndarray
    expected: np.ndarray
    evidence: Evidence


def _pushed(
    baseline: Baseline,
    state: DetectorState,
    values: np.ndarray,
    at: float,
    config: DetectorConfig,
    fraction: float = 1.0,
) -> _Pushed:
    values = np.maximum(np.asarray(values, dtype=float).reshape(-1), 0.0)  # NaN stays NaN
    expected = baseline.expected(at)[:, 0] * fraction
    elapsed = _elapsed(state.last_at, at, baseline.interval)
    observed = _push(state.observed, values, elapsed)
    typical = _push(state.expected, np.where(np.isnan(values), np.nan, expected), elapsed)
    found = window_evidence(observed, typical, baseline, config)
    evidence = Evidence(found.gated, found.recent, values, expected, at, elapsed)
    return _Pushed(observed, typical, evidence)


def _elapsed(last_at: np.ndarray, at: float, interval: float) -> np.ndarray:
    """Points since each series' previous point (1 when contiguous; large before any)."""
    points = np.rint((at - last_at) / interval)
    return np.where(np.isnan(points), 10**6, np.maximum(points, 1)).astype(np.int64)


def _push(window: np.ndarray, values: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
    """Shift each series' window by its elapsed points (NaN for skipped ones), append values."""
    width = window.shape[1]
    shift = np.minimum(elapsed, width)
    padded = np.concatenate([window, np.full_like(window, np.nan)], axis=1)
    moved = np.take_along_axis(padded, np.arange(width)[None, :] + shift[:, None], axis=1)
    moved[:, -1] = values
    return moved


def epoch_seconds(now: float | datetime) -> float:
    """Epoch seconds of an aware datetime (naive ones raise), or of a number as given."""
    if isinstance(now, datetime):
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError(f"naive datetime {now!r}: pass UTC-aware datetimes")
        return now.timestamp()
    return float(now)


def _listed(values: np.ndarray) -> list[float | None]:
    return [None if np.isnan(v) else float(v) for v in values]
