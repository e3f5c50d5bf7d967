"""The baseline: typical volume by time of week, robust to outages, gaps and level changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import numpy as np
import pytest

from outages.detection import DEFAULT_CONFIG, Baseline, fit_baseline, prior_baseline
from outages.detection import synthetic as syn
from outages.detection.baseline import refresh_level
from outages.detection.synthetic import Wave

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
START = MONDAY.timestamp()
WEEK = syn.MINUTES_PER_WEEK
DAY = 1440


def counts(minutes: int, *, peak: float, seed: int, waves: tuple[Wave, ...] = ()) -> np.ndarray:
    return syn.seasonal_counts(MONDAY, minutes, peak_per_minute=peak, seed=seed, waves=waves)


def true_rate(minutes: int, *, peak: float) -> np.ndarray:
    return syn.audience_rates(MONDAY, minutes, peak_per_minute=peak).sum(axis=0)


def expected_next_day(baseline: Baseline, history: int) -> np.ndarray:
    """What the baseline expects for each minute of the day after its history."""
    return baseline.expected(START + 60.0 * np.arange(history, history + DAY))[0]


def test_it_learns_the_typical_volume_for_the_time_of_week():
    history = 3 * WEEK
    baseline = fit_baseline(counts(history, peak=5, seed=1), start=START, interval=60)

    truth = true_rate(history + DAY, peak=5)[history:]
    error = np.abs(expected_next_day(baseline, history) / truth - 1)
    assert np.median(error) < 0.08
    assert np.quantile(error, 0.95) < 0.25


def test_a_past_outage_does_not_inflate_it():
    history = 3 * WEEK
    calm = counts(history, peak=5, seed=2)
    # Three hours at up to 40 times the evening peak, one week before the day predicted.
    outage = Wave(onset=2 * WEEK + 19 * 60, peak_at=2 * WEEK + 20 * 60, peak=200, decay=60)
    extra = np.random.default_rng(2).poisson(syn.spike_profile(history, waves=[outage]))
    before = fit_baseline(calm, start=START, interval=60)
    after = fit_baseline(calm + extra, start=START, interval=60)

    # Within the noise of a three-week estimate: at most a few percent on those hours, where a
    # plain average would add half again.
    ratio = expected_next_day(after, history) / expected_next_day(before, history)
    assert ratio[19 * 60 : 23 * 60].mean() < 1.06
    assert np.abs(ratio - 1).max() < 0.12


def test_missing_points_do_not_bias_it():
    history = 3 * WEEK
    values = counts(history, peak=5, seed=3).astype(float)
    values[np.random.default_rng(3).random(history) < 0.3] = np.nan
    values[WEEK : WEEK + DAY] = np.nan  # a whole day lost
    baseline = fit_baseline(values, start=START, interval=60)

    truth = true_rate(history + DAY, peak=5)[history:]
    assert np.median(np.abs(expected_next_day(baseline, history) / truth - 1)) < 0.1


def test_it_follows_a_level_shift_within_a_day_but_not_a_few_hours_of_it():
    history = 3 * WEEK
    values = counts(history, peak=5, seed=4).astype(float)
    doubled = values.copy()
    doubled[-30 * 60 :] *= 2
    brief = values.copy()
    brief[-3 * 60 :] *= 2

    level = fit_baseline(values, start=START, interval=60).level[0]
    assert fit_baseline(doubled, start=START, interval=60).level[0] / level > 1.8
    assert fit_baseline(brief, start=START, interval=60).level[0] / level < 1.15


def test_it_follows_slow_growth():
    history = 3 * WEEK
    growth = np.linspace(1.0, 1.5, history)
    values = np.random.default_rng(5).poisson(true_rate(history, peak=5) * growth)
    baseline = fit_baseline(values, start=START, interval=60)

    truth = true_rate(history + DAY, peak=5)[history:] * 1.5
    assert np.median(expected_next_day(baseline, history) / truth) == pytest.approx(1, abs=0.1)


def test_a_tiny_series_gets_a_few_reports_a_day_not_zero():
    history = 2 * WEEK
    peak = 0.005  # about three reports a day
    baseline = fit_baseline(counts(history, peak=peak, seed=6), start=START, interval=60)

    daily = expected_next_day(baseline, history).sum()
    assert 0.5 * true_rate(DAY, peak=peak).sum() < daily < 2 * true_rate(DAY, peak=peak).sum()


def test_a_series_without_history_starts_at_the_prior():
    baseline = fit_baseline(np.zeros((2, 0)), start=START, interval=60)

    per_minute = DEFAULT_CONFIG.prior_rate_per_hour / 60
    assert baseline.level.tolist() == pytest.approx([per_minute, per_minute])
    assert np.all(baseline.profile == 1)


def test_many_series_fit_at_once_as_one_by_one():
    values = np.stack([counts(2 * WEEK, peak=p, seed=7 + i) for i, p in enumerate((0.01, 3, 80))])
    together = fit_baseline(values, start=START, interval=60)

    for i in range(3):
        alone = fit_baseline(values[i], start=START, interval=60)
        assert np.allclose(together.take([i]).profile, alone.profile)
        assert np.allclose(together.take([i]).level, alone.level)
        assert np.allclose(together.take([i]).dispersion, alone.dispersion)


def test_a_refresh_refits_the_level_only():
    history = 2 * WEEK
    values = counts(history, peak=5, seed=8).astype(float)
    baseline = fit_baseline(values, start=START, interval=60)
    values[-DAY:] *= 3
    fresh = refresh_level(baseline, values, start=START, interval=60)

    assert fresh.level[0] / baseline.level[0] > 2.5
    assert np.array_equal(fresh.profile, baseline.profile)
    assert np.array_equal(fresh.dispersion, baseline.dispersion)


def test_rows_round_trip_through_plain_json_types():
    baseline = fit_baseline(counts(WEEK, peak=2, seed=9)[None, :], start=START, interval=60)
    rows = baseline.rows()
    again = Baseline.from_rows(rows)

    assert all(isinstance(v, (int, float, list)) for v in rows[0].values())
    moment = START + 123_456.0
    assert np.allclose(again.expected(moment), baseline.expected(moment), rtol=1e-3)
    assert again.fitted_at == baseline.fitted_at


def test_the_prior_baseline_is_flat_and_sized_per_series():
    baseline = prior_baseline(4, interval=300, at=START, config=replace(DEFAULT_CONFIG))

    assert baseline.size == 4
    assert baseline.expected(START).shape == (4, 1)
    assert baseline.dispersion.shape == (4, 1 + len(DEFAULT_CONFIG.windows))
