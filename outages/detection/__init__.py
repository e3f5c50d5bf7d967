"""Pure detection library: standard library and numpy only, no Django (tests enforce it).

Counts per interval in; baselines, scores and incident events out. Four pieces:

* `fit_baseline(values, start=, interval=, config=)`: on a schedule, from history arrays of
  many series at once, a compact `Baseline` per series (a weekly profile, a current level,
  over-dispersion and tail fits), robust to past outages, missing points and level shifts.
* `step(baseline, state, values, now=, config=)`: every interval, the latest value of every
  series with their baselines and `DetectorState`; returns a `StepResult` with the score,
  expected value, chart band, incident level and `DetectedEvent`s (open, level, close), and
  the next state (JSON-able per series via `DetectorState.rows()`).
* `step_ahead(baseline, state, values, now=, fraction=, config=)`: between steps, the counts
  so far of the interval in progress; opens incidents on a clear rise without waiting for the
  interval to end (the full step of that interval follows as usual).
* `refresh_level(baseline, values, start=, interval=, config=)`: the cheap hourly refit of
  the level alone between daily full fits.
* `detect_batch(values, start=, interval=, config=)` and `detect_series(timestamps, values,
  config)`: series scored point by point as the product would have, refitting baselines on
  that schedule from past data only (backfills, tests, CLI).
* `band(expected, dispersion, config, points=k)`: the typical range of one point or of sums
  over k points (charts at coarser resolutions, status figures).
* `python -m outages.detection INPUT.csv OUTPUT.csv`: that driver on a `timestamp,value` file.

The score rule, shared by product and command line: a point scores >= 0.5 exactly when the
product alerts there, that is when an incident opens ([0.5, 0.75) when it opens at level 1
"possible problems", [0.75, 1] at level 2 "problems"); every other point maps its evidence
into [0, 0.5), including a rise to level 2 later in an incident already announced (one
incident is one alert, as the outage-traffic benchmark counts it). A score at time t uses
only data up to t. `DEFAULT_CONFIG` holds every tunable; its durations are seconds, so it
means the same at any interval between points.
"""

from outages.detection.baseline import Baseline, fit_baseline, prior_baseline, refresh_level
from outages.detection.config import DEFAULT_CONFIG, DetectorConfig
from outages.detection.driver import BatchResult, Point, detect_batch, detect_series
from outages.detection.incidents import CLOSE, LEVEL, OPEN, DetectedEvent
from outages.detection.scoring import band
from outages.detection.stream import DetectorState, StepResult, step, step_ahead

__all__ = [
    "CLOSE",
    "DEFAULT_CONFIG",
    "LEVEL",
    "OPEN",
    "Baseline",
    "BatchResult",
    "DetectorConfig",
    "DetectorState",
    "DetectedEvent",
    "Point",
    "StepResult",
    "detect_batch",
    "detect_series",
    "fit_baseline",
    "prior_baseline",
    "refresh_level",
    "band",
    "step",
    "step_ahead",
]
