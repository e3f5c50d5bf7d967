"""Streaming evidence and scores: count tails, window sums, the score rule, and no look-ahead."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outages.detection import DEFAULT_CONFIG, detect_batch, fit_baseline
from outages.detection.counts import block_sums, leave_max_out, surprise, window_sums
from outages.detection.noise import outage_mask
from outages.detection.scoring import anomaly_score, band, duration_weights, window_evidence
from outages.detection.tails import calibrated, fit_tail, normal_isf_log

START = 1_704_067_200.0  # Monday 2024-01-01 00:00 UTC


def poisson_tail_z(x: int, mu: float) -> float:
    """Exact z of P(X >= x) for X ~ Poisson(mu)."""
    below = sum(math.exp(-mu) * mu**k / math.factorial(k) for k in range(x))
    return float(normal_isf_log(np.log(max(1.0 - below, 1e-300))))


@pytest.mark.parametrize(("x", "mu"), [(3, 0.5), (10, 2.0), (30, 10.0), (150, 100.0)])
def test_surprise_follows_the_poisson_tail_at_low_and_high_counts(x, mu):
    z = surprise(np.array([x]), np.array([mu]), np.array([1.0]))[0]

    assert z == pytest.approx(poisson_tail_z(x, mu), abs=0.35)


def test_surprise_is_zero_at_or_below_expected_and_shrinks_with_dispersion():
    z = surprise(np.array([0, 5, 5, 40]), np.array([3.0, 5.0, 8.0, 10.0]), np.ones(4))

    assert z[:3].tolist() == [0, 0, 0]
    assert surprise(np.array([40]), np.array([10.0]), np.array([4.0]))[0] < z[3]


counts = st.lists(st.one_of(st.none(), st.integers(0, 50)), min_size=45, max_size=45).map(
    lambda v: np.array([np.nan if c is None else c for c in v], dtype=float)
)


@given(counts, st.floats(0.1, 20))
def test_window_sums_leave_the_most_raised_point_out(values, mu):
    expected = np.full(45, mu)
    kept, typical = window_sums(values[None, :], expected[None, :], DEFAULT_CONFIG.windows)

    for j, width in enumerate(DEFAULT_CONFIG.windows):
        one, two = leave_max_out(values[None, -width:], expected[None, -width:])
        assert kept[0, j] == pytest.approx(one[0]) and typical[0, j] == pytest.approx(two[0])
    valid = values[~np.isnan(values)][-2:]
    if len(valid) == 2 and not np.isnan(values[-2:]).any():
        assert kept[0, 1] == pytest.approx(valid.min())


@given(counts, st.sampled_from([1, 2, 5, 15]), st.integers(1, 5))
def test_block_sums_are_window_sums_over_a_grid(values, width, stride):
    stride = min(stride, width)
    expected = np.linspace(1, 3, 45)
    kept, typical = block_sums(values[None, :], expected[None, :], width, stride)

    ends = range(44, width - 2, -stride)
    for j, end in enumerate(sorted(ends)):
        one, two = leave_max_out(
            values[None, end - width + 1 : end + 1], expected[None, end - width + 1 : end + 1]
        )
        assert kept[0, j] == pytest.approx(one[0]) and typical[0, j] == pytest.approx(two[0])


@given(st.floats(0, 100), st.integers(0, 2))
def test_a_score_is_at_least_half_exactly_at_an_alert(z, level):
    score = anomaly_score(np.array([z]), np.array([level]), DEFAULT_CONFIG)[0]

    assert 0 <= score <= 1
    assert (score >= 0.5) == (level > 0)
    if level:
        assert (score >= 0.75) == (level == 2)


def test_a_lone_point_must_be_stronger_than_a_sustained_rise():
    weights = duration_weights(DEFAULT_CONFIG)

    assert weights[0] == pytest.approx(DEFAULT_CONFIG.open_z / DEFAULT_CONFIG.spike_z)
    assert np.all(np.diff(weights) > 0) and weights[-1] < 1


@pytest.mark.parametrize(
    ("before", "latest", "opens"),
    [(12, 24, True), (5, 24, False), (12, 9, False)],
    ids=["a-rise-under-way", "a-lone-point", "a-mild-pair"],
)
def test_a_rise_under_way_opens_on_its_second_point_but_a_lone_point_does_not(
    before, latest, opens
):
    rng = np.random.default_rng(3)
    baseline = fit_baseline(rng.poisson(4, (1, 7 * 1440)), start=START, interval=60)
    observed = np.array([[*rng.poisson(4, 43), before, latest]], dtype=float)
    expected = np.full_like(observed, 4.0)

    found = window_evidence(observed, expected, baseline, DEFAULT_CONFIG)
    assert (found.gated[0] >= DEFAULT_CONFIG.open_z) == opens


@pytest.mark.parametrize(
    ("usual", "latest", "opens"),
    [(0.2, 12, True), (0.2, 8, False), (1.0, 12, False)],
    ids=["sparse-ten-reports", "sparse-fewer-than-ten", "not-sparse"],
)
def test_a_lone_spike_opens_only_on_a_sparse_series_and_only_with_ten_reports(usual, latest, opens):
    rng = np.random.default_rng(5)
    baseline = fit_baseline(rng.poisson(usual, (1, 7 * 1440)), start=START, interval=60)
    observed = np.array([[*np.zeros(44), latest]], dtype=float)
    expected = np.full_like(observed, usual)

    found = window_evidence(observed, expected, baseline, DEFAULT_CONFIG)
    assert (found.gated[0] >= DEFAULT_CONFIG.open_z) == opens


def test_a_heavy_tailed_history_makes_the_same_surprise_less_rare():
    rng = np.random.default_rng(0)
    gentle = np.abs(rng.normal(size=(1, 5000)))
    bursty = gentle + (rng.random((1, 5000)) < 0.03) * rng.exponential(4, (1, 5000))
    z = np.array([[6.0]])

    light = calibrated(z, *fit_tail(gentle, np.ones_like(gentle, bool)))
    heavy = calibrated(z, *fit_tail(bursty, np.ones_like(bursty, bool)))
    assert heavy[0, 0] < light[0, 0]


def test_the_band_brackets_the_expected_value():
    expected = np.array([0.0, 0.5, 40.0])
    lower, upper = band(expected, np.full((3, 6), 0.1), DEFAULT_CONFIG)

    assert np.all(lower <= expected) and np.all(expected <= upper) and np.all(lower >= 0)
    assert upper[2] - lower[2] > upper[1] - lower[1]


seasonal = st.integers(0, 2**31 - 1).map(
    lambda seed: np.random.default_rng(seed).poisson(
        (3 + 2 * np.sin(np.arange(400) / 40)) * np.where(np.arange(400) % 97 < 6, 8, 1)
    )
)


@settings(max_examples=12, deadline=None)
@given(seasonal, st.integers(1, 399))
def test_scores_of_a_prefix_are_the_first_scores_of_the_whole_series(values, cut):
    values = values.astype(float)
    whole = detect_batch(values, start=START, interval=300)
    prefix = detect_batch(values[:cut], start=START, interval=300)

    assert np.array_equal(prefix.score, whole.score[:, :cut])
    assert np.array_equal(prefix.expected, whole.expected[:, :cut])
    assert [e for i, e in whole.events if i < cut] == [e for _, e in prefix.events]


def test_a_fit_reads_only_the_history_it_is_given():
    values = np.random.default_rng(1).poisson(5, 3000).astype(float)
    early = fit_baseline(values[:2000], start=START, interval=300)
    changed = values.copy()
    changed[2000:] *= 10

    assert np.array_equal(
        fit_baseline(changed[:2000], start=START, interval=300).level, early.level
    )


def test_a_band_over_k_points_uses_the_dispersion_of_the_window_closest_in_length():
    dispersion = np.array([[0.01, 0.01, 0.02, 0.05, 0.3, 1.0]])  # point, then windows 1..45
    expected = np.array([150.0])

    point = band(expected, dispersion, DEFAULT_CONFIG)
    quarter = band(expected, dispersion, DEFAULT_CONFIG, points=15)
    widened = band(expected, dispersion[:, [0, 1, 2, 3, 0, 5]], DEFAULT_CONFIG, points=15)

    assert quarter[1][0] > point[1][0]
    assert widened[1][0] == point[1][0]  # column 4 (the 15-point window) was the one read


def test_a_series_bursting_a_few_times_a_day_learns_its_bursts_are_usual():
    rng = np.random.default_rng(1)
    z = np.abs(rng.normal(size=(1, 10_000)))
    z[0, rng.choice(10_000, 60, replace=False)] = 7.0  # 0.6% of points
    z_burst = np.array([[7.0]])

    plain = calibrated(z_burst, *fit_tail(z, np.ones_like(z, bool)))
    learned = calibrated(z_burst, *fit_tail(z, np.ones_like(z, bool), share=0.002))
    assert plain[0, 0] > DEFAULT_CONFIG.rare_z > learned[0, 0]


def test_past_outages_are_left_out_of_the_noise_fit_but_short_bursts_are_not():
    expected = np.full((1, 600), 5.0)
    values = np.full((1, 600), 5.0)
    values[0, 100:160] = 40.0  # an hour-long outage
    values[0, 400:403] = 15.0  # a 3-minute burst
    masked = outage_mask(values, expected, DEFAULT_CONFIG, 60.0)[0]

    assert masked[100:160].all()
    assert not masked[395:410].any()
    assert not masked[:60].any() and not masked[200:390].any()


def test_a_surprise_no_higher_than_the_series_own_record_is_never_rare():
    rng = np.random.default_rng(2)
    z = np.abs(rng.normal(size=(1, 10_000)))
    z[0, [100, 5_000]] = 7.0  # two bursts in the history: too few for the share rule
    valid = np.ones_like(z, bool)
    z_burst = np.array([[7.0]])

    share_only = calibrated(z_burst, *fit_tail(z, valid, share=0.002))
    with_record = calibrated(z_burst, *fit_tail(z, valid, share=0.002, record=True))
    assert share_only[0, 0] > DEFAULT_CONFIG.rare_z > with_record[0, 0]
    stronger = calibrated(np.array([[12.0]]), *fit_tail(z, valid, share=0.002, record=True))
    assert stronger[0, 0] > DEFAULT_CONFIG.rare_z


def test_the_outage_mask_judges_windows_against_the_series_own_robust_noise():
    rng = np.random.default_rng(3)
    expected = np.full((2, 3000), 20.0)
    # Tweet-like: half-hour swings of 2x to 3x every few hours are this series' usual.
    swings = np.repeat(rng.choice([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.5], 100), 30)
    values = rng.poisson(expected * np.stack([swings, np.ones(3000)])).astype(float)
    values[1, 1000:1060] = 160.0  # an hour-long outage of a quiet series
    masked = outage_mask(values, expected, DEFAULT_CONFIG, 60.0)

    assert masked[0].mean() < 0.02
    assert masked[1, 1000:1060].all() and masked[1].mean() < 0.05


def test_a_series_raised_every_day_keeps_only_its_strongest_episodes_out_of_the_noise_fit():
    expected = np.full((2, 14 * 1440), 2.0)
    values = np.full_like(expected, 2.0)
    for day in range(14):  # the first series is raised an hour every day, the second twice
        values[0, day * 1440 + 600 : day * 1440 + 660] = 40.0 + day
    values[1, [3000, 15000]] = 0.0
    values[1, 3000:3060] = values[1, 15000:15060] = 40.0
    masked = outage_mask(values, expected, DEFAULT_CONFIG, 60.0)

    episodes = [masked[0, day * 1440 + 600 : day * 1440 + 660].all() for day in range(14)]
    assert sum(episodes) == int(DEFAULT_CONFIG.mask_per_week * 2)
    assert episodes[-1] and not episodes[0]  # the strongest are the ones left out
    assert masked[1, 3000:3060].all() and masked[1, 15000:15060].all()
