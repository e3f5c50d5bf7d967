"""Every tunable of the detector in one frozen dataclass; DEFAULT_CONFIG serves product and CLI.

Every duration is in seconds of data time, so one configuration means the same at any interval
between points: at an interval of `interval` seconds a duration of d seconds is
max(1, round(d / interval)) points (`points`); the product counts one point a minute. The
`*_points` and `windows` properties give those counts at the product's minute, for callers
that count minutes. Nothing here computes anything else.
"""

from __future__ import annotations

from dataclasses import dataclass

# Seconds between the product's points (minute buckets).
PRODUCT_INTERVAL = 60.0


def points(seconds: float, interval: float) -> int:
    """A duration as a number of points at `interval` seconds between points (at least 1)."""
    return max(1, round(seconds / interval))


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
    # Past outages are left out of the noise fit (noise.outage_mask): the points of any
    # mask_seconds window holding mask_ratio times its expected reports, min_excess more, and
    # mask_z surprising under the series' own robust noise (the winsorised over-dispersion of
    # such windows, not Poisson: tweet-like series swing 2x every day). Outages are rare: a
    # series raised more than mask_per_week times a week keeps only that many of its strongest
    # episodes out, the rest are its usual (docs/detection.md, "Benchmark").
    mask_seconds: int = 1800
    mask_ratio: float = 2.0
    mask_z: float = 5.0
    mask_per_week: float = 3.0
    # A series' surprise tail is at least as heavy as its own history says at this share of
    # its points (tails.fit_tail): bursts a few times a day are its usual, not outages. With
    # tail_record, its record (the highest surprise of its history outside the masked
    # outages) is also no rarer than once in its history: a rise no higher than what the
    # series has already done as usual never counts as rare.
    burst_share: float = 0.002
    tail_record: bool = True
    # History used by a fit (the noise part uses only its last noise_seconds), how often the
    # streaming driver refits the level from past data, and how often the whole baseline.
    history_seconds: int = 30 * 86_400
    noise_seconds: int = 30 * 86_400
    refit_seconds: int = 3_600
    full_refit_seconds: int = 86_400

    # Evidence: window sums over the latest points spanning these durations (shortest first),
    # each leaving its most raised point out, so a lone point never counts as sustained; a
    # window of 1 point scores the latest point alone, which must then be spike_z strong to
    # count as open_z (a window of w points needs open_z + (spike_z - open_z) / w).
    window_seconds: tuple[int, ...] = (60, 120, 300, 900, 2700)
    spike_z: float = 9.0
    # A window counts only if its surprise is also rare for this series: at least rare_z once
    # re-expressed under the tail fitted on the series' own history (tails.py). 4 is about
    # once in 30,000 points: at 3 (once in 740) a series of minutes passed it several times a
    # week on benign traffic.
    rare_z: float = 4.0
    # Practical significance: the excess must be this many reports and this ratio over typical.
    min_excess: float = 10.0
    min_ratio: float = 1.5

    # A rise under way also counts as open_z: the point before the latest above the typical
    # band, and the latest point alone at least onset_z rare under the series' own tail
    # (tails.py), the two practically significant together. It lets a clear rise open on its
    # second point (even a partial one, see stream.step_ahead) where the windows above need a
    # third; 4.5 adds no alert on NAB's realTweets, 4.25 adds two false ones.
    onset_z: float = 4.5
    # A lone spike of a sparse series (its level at most lone_per_hour reports an hour) also
    # counts: the latest point alone at least lone_reports reports and lone_ratio times its
    # expected count, lone_z surprising and lone_rare_z rare under the series' own tail (its
    # rarity then scaled so that lone_rare_z counts as open_z). Otherwise a lone point opens
    # only at spike_z. At the product's minute: a minute of 10 reports where 0.4 are usual.
    # Measured in docs/detection.md; lone_ratio inf turns it off.
    lone_per_hour: float = 24.0
    lone_reports: float = 10.0
    lone_ratio: float = 8.0
    lone_z: float = 4.5
    lone_rare_z: float = 3.0

    # Incident state machine, in surprise units (standard-normal z of the upper tail).
    open_z: float = 4.0
    problems_z: float = 14.0
    # How long the open condition must hold in a row before an incident opens (one point at
    # least), and the problems_z condition before it is at level 2.
    open_seconds: int = 60
    problems_seconds: int = 360
    # An incident closes after this long quiet (z below close_z); a relapse before then
    # continues the same incident, which merges flapping.
    close_z: float = 2.0
    close_seconds: int = 7200
    # For this long after a close, a new incident must be stronger than the last one.
    cooldown_seconds: int = 7200
    # A per-series prior on how often it has real outages: the incidents it opened, each
    # weighing exp(-age / habit_seconds); beyond habit_free of them, each one more raises the
    # bar to open the next by habit_z (a series that alerts week after week is partly
    # bursting as usual). Measured in docs/detection.md; 0 turns it off.
    habit_seconds: int = 7 * 86_400
    habit_free: float = 1.0
    habit_z: float = 0.5
    # The band drawn on charts: expected value +- band_z standard deviations.
    band_z: float = 2.0

    def windows_at(self, interval: float) -> tuple[int, ...]:
        """The evidence windows in points at this interval (two may coincide)."""
        return tuple(points(s, interval) for s in self.window_seconds)

    @property
    def windows(self) -> tuple[int, ...]:
        """The evidence windows in points (minutes) at the product's interval."""
        return self.windows_at(PRODUCT_INTERVAL)

    @property
    def open_points(self) -> int:
        return points(self.open_seconds, PRODUCT_INTERVAL)

    @property
    def problems_points(self) -> int:
        return points(self.problems_seconds, PRODUCT_INTERVAL)

    @property
    def close_points(self) -> int:
        return points(self.close_seconds, PRODUCT_INTERVAL)

    @property
    def cooldown_points(self) -> int:
        return points(self.cooldown_seconds, PRODUCT_INTERVAL)


DEFAULT_CONFIG = DetectorConfig()
