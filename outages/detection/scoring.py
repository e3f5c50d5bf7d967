"""Streaming evidence and the anomaly score in [0, 1], from the latest points and a baseline.

Evidence is the largest upper-tail surprise (a standard-normal z) over a few windows of the
latest points, each sum leaving its most raised point out and tested against a negative
binomial with that window's fitted over-dispersion. A window of w points is weighted so that it
must reach open_z + (spike_z - open_z) / w to count as open_z: short windows catch sharp rises
only when they are strong, long ones catch sustained rises, so strength and duration both count.
A window counts at all only if its excess is practically significant (min_excess reports and
min_ratio times typical, which keeps 3 reports on a tiny service from alerting) and rare for
this series (rare_z under the tail fitted on its own history, so chronic bursts do not alert).
A rise under way counts too (onset_evidence): the point before the latest above the typical
band and the latest alone onset_z rare under that tail, which opens a clear rise one point
sooner than the windows can. So does a lone spike of a sparse series (lone_evidence): on a
series of at most lone_per_hour reports an hour, a single point of lone_reports or more and
lone_ratio times its usual is an event whatever follows, and the one-point window cannot see
it (so few reports never reach spike_z under the series' over-dispersion).

The score maps that onto [0, 1]: >= 0.5 exactly on the points where an incident opens (the
alert; a later rise to level 2 is the same incident, not a new alert), [0.5, 0.75) when it
opens at level 1 and [0.75, 1] at level 2; every other point maps
its evidence into [0, 0.5). The state machine lives in incidents.py.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from outages.detection.baseline import Baseline
from outages.detection.config import PRODUCT_INTERVAL, DetectorConfig
from outages.detection.counts import surprise, window_sums
from outages.detection.tails import calibrated


@dataclass(frozen=True)
class WindowEvidence:
    """Per series: surprise of the windows passing the gates (it drives incidents), and of the
    shortest window whatever the gates (it tells when the latest points are quiet again)."""

    gated: np.ndarray
    recent: np.ndarray


def window_evidence(
    observed: np.ndarray,
    expected: np.ndarray,
    baseline: Baseline,
    config: DetectorConfig,
) -> WindowEvidence:
    """Evidence from the latest points: observed and expected (series, points), newest last,
    NaN where missing, against the baseline's dispersion and tails."""
    windows = config.windows_at(baseline.interval)
    kept, typical = window_sums(observed, expected, windows)
    raw = surprise(kept, typical, 1.0 + baseline.dispersion[:, 1:] * typical)
    rarity = calibrated(raw, baseline.tail_rate, baseline.tail_scale)
    z = raw * duration_weights(config, windows)
    excess = kept - typical
    practical = (excess >= config.min_excess) & (kept >= config.min_ratio * typical)
    practical &= rarity >= config.rare_z
    gated = np.where(practical, z, 0.0).max(axis=1)
    onset = onset_evidence(observed, expected, rarity[:, 0], baseline, config)
    lone = lone_evidence(kept[:, 0], typical[:, 0], raw[:, 0], rarity[:, 0], baseline, config)
    return WindowEvidence(gated=np.maximum(gated, np.maximum(onset, lone)), recent=z[:, 0])


def lone_evidence(
    latest: np.ndarray,
    typical: np.ndarray,
    latest_z: np.ndarray,
    latest_rarity: np.ndarray,
    baseline: Baseline,
    config: DetectorConfig,
) -> np.ndarray:
    """Evidence of a lone spike of a sparse series (a level of at most lone_per_hour reports
    an hour), in the units of the gated windows: the latest point at least lone_reports
    reports and lone_ratio times its expected count, lone_z surprising and lone_rare_z rare
    under the series' own tail; its rarity scaled so that lone_rare_z counts as open_z, 0
    elsewhere."""
    if not np.isfinite(config.lone_ratio):
        return np.zeros_like(latest)
    sparse = baseline.level * 3600.0 / baseline.interval <= config.lone_per_hour
    spike = (latest >= config.lone_reports) & (latest >= config.lone_ratio * typical)
    spike &= (latest_z >= config.lone_z) & (latest_rarity >= config.lone_rare_z)
    scaled = latest_rarity * config.open_z / config.lone_rare_z
    return np.where(sparse & spike, scaled, 0.0)


def onset_evidence(
    observed: np.ndarray,
    expected: np.ndarray,
    latest_rarity: np.ndarray,
    baseline: Baseline,
    config: DetectorConfig,
) -> np.ndarray:
    """Evidence of a rise under way, in the units of the gated windows: the point before the
    latest above the typical band, the two practically significant together, and then the
    latest point's rarity (its surprise under the series' own tail) scaled so that onset_z
    counts as open_z; 0 elsewhere. Under this rule a lone raised point never counts
    (lone_evidence judges those)."""
    x, mu = np.nan_to_num(observed[:, -2:]), np.nan_to_num(expected[:, -2:])
    _, upper = band(mu[:, 0], baseline.dispersion, config)
    risen = x[:, 0] > upper
    pair, typical = x.sum(axis=1), mu.sum(axis=1)
    practical = (pair - typical >= config.min_excess) & (pair >= config.min_ratio * typical)
    return np.where(risen & practical, latest_rarity * config.open_z / config.onset_z, 0.0)


def duration_weights(config: DetectorConfig, windows: tuple[int, ...] | None = None) -> np.ndarray:
    """Weight of each window's surprise: a window of w points must reach
    open_z + (spike_z - open_z) / w to count as open_z, so one point alone needs spike_z and
    longer rises need less (strength and duration both count)."""
    width = np.asarray(config.windows if windows is None else windows, dtype=float)
    return config.open_z / (config.open_z + (config.spike_z - config.open_z) / width)


def anomaly_score(
    evidence: np.ndarray, alert_level: np.ndarray, config: DetectorConfig
) -> np.ndarray:
    """Score in [0, 1]: >= 0.5 exactly where alert_level > 0 (an incident opened)."""
    z = np.maximum(np.nan_to_num(evidence), 0.0)
    quiet = 0.5 * z / (z + config.open_z)
    alert = 0.5 + 0.25 * (np.clip(alert_level, 1, 2) - 1) + 0.25 * z / (z + config.problems_z)
    result: np.ndarray = np.where(alert_level > 0, np.minimum(alert, 1.0), quiet)
    return result


def band(
    expected: np.ndarray,
    dispersion: np.ndarray,
    config: DetectorConfig,
    *,
    points: int = 1,
    interval: float = PRODUCT_INTERVAL,
) -> tuple[np.ndarray, np.ndarray]:
    """Typical range for charts of one point, or of sums over `points` consecutive points
    (expected is then the expected sum): expected +- band_z sd, floored at 0. The sum's
    over-dispersion is the fitted one of the evidence window closest to it in length (at
    `interval` seconds between points). expected is (n,) or, for a run of values per series,
    (n, values); dispersion is a Baseline's (n, 1 + windows)."""
    lengths = (1, *config.windows_at(interval))
    column = min(range(len(lengths)), key=lambda i: abs(lengths[i] - points)) if points > 1 else 0
    alpha = dispersion[:, column].reshape((-1,) + (1,) * (np.ndim(expected) - 1))
    sd = np.sqrt(expected * (1.0 + alpha * expected))
    return np.maximum(expected - config.band_z * sd, 0.0), expected + config.band_z * sd
