"""Every tunable of the detector in one frozen dataclass; DEFAULT_CONFIG serves product and CLI.

Durations are in seconds of data time, window lengths in points (one point = one minute in the
product). Nothing here computes anything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectorConfig:
    """Tunables of baseline, score and incident state machine (defaults are the product's)."""

    # Baseline profile: one multiplier per slot of the week, slot_seconds wide.
    slot_seconds: int = 900
    # Pseudo-counts pulling a slot's daily shape toward flat, and its weekday adjustment toward
    # the daily shape: a slot needs more reports than this before its own shape is trusted.
    shape_prior_counts: float = 20.0
    week_prior_counts: float = 60.0
    # Trailing window for the level, widened (up to the whole history) until it holds this many
    # reports, so a tiny service's level is an average over days rather than over one evening.
    level_seconds: int = 86_400
    level_min_counts: float = 50.0
    # Trend window for fitting the shape (centred, past data only).
    trend_seconds: int = 7 * 86_400
    # Gamma prior on the rate of a series: prior_rate_per_hour reports an hour, worth
    # prior_seconds of data (short: it sets where a new series starts, and must not bias the
    # level of a series with history); new series start with prior_dispersion.
    prior_rate_per_hour: float = 0.5
    prior_seconds: int = 900
    prior_dispersion: float = 0.1
    # Points beyond mean + winsor_sigmas * sd are capped when fitting (past outages must not
    # inflate the baseline); passes of that re-weighting.
    winsor_sigmas: float = 3.0
    robust_passes: int = 2
    # Negative-binomial over-dispersion bounds: no baseline predicts better than about
    # sqrt(min_dispersion) relative error.
    min_dispersion: float = 0.01
    max_dispersion: float = 4.0
    # Share of the time a series may spend above its band before the band widens: chronic
    # bursts then count as typical, rarer outages (less than this share) do not.
    tail_share: float = 0.01
    # History used by a fit (the noise part uses only its last noise_seconds), how often the
    # streaming driver refits the level from past data, and how often the whole baseline.
    history_seconds: int = 30 * 86_400
    noise_seconds: int = 30 * 86_400
    refit_seconds: int = 3_600
    full_refit_seconds: int = 86_400

    # Evidence: window sums over these many latest points (shortest first), each leaving its
    # most raised point out, so a lone point never counts as sustained; a window of 1 scores
    # the latest point alone, which must then be spike_z strong to count as open_z (windows
    # in between need open_z + (spike_z - open_z) / width).
    windows: tuple[int, ...] = (1, 2, 5, 15, 45)
    spike_z: float = 9.0
    # A window counts only if its surprise is also rare for this series: at least rare_z once
    # re-expressed under the tail fitted on the series' own history (tails.py).
    rare_z: float = 3.0
    # Practical significance: the excess must be this many reports and this ratio over typical.
    min_excess: float = 10.0
    min_ratio: float = 1.5

    # A rise under way also counts as open_z: the point before the latest above the typical
    # band, and the latest point alone at least onset_z rare under the series' own tail
    # (tails.py), the two practically significant together. It lets a clear rise open on its
    # second point (even a partial one, see stream.step_ahead) where the windows above need a
    # third; 4.5 adds no alert on NAB's realTweets, 4.25 adds two false ones.
    onset_z: float = 4.5

    # Incident state machine, in surprise units (standard-normal z of the upper tail).
    open_z: float = 4.0
    problems_z: float = 14.0
    # Points the open condition must hold in a row before an incident opens, and the
    # problems_z condition before it is at level 2.
    open_points: int = 1
    problems_points: int = 6
    # An incident closes after this many quiet points (z below close_z); a relapse before then
    # continues the same incident, which merges flapping.
    close_z: float = 2.0
    close_points: int = 120
    # For this many points after a close, a new incident must be stronger than the last one.
    cooldown_points: int = 120
    # The band drawn on charts: expected value +- band_z standard deviations.
    band_z: float = 2.0


DEFAULT_CONFIG = DetectorConfig()
