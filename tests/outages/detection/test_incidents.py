"""Incidents: open on a significant, sustained rise, graded, peak tracked, closed with
hysteresis, flapping merged; no false alarms on quiet data; the tiny-service prior."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from outages.detection import (
    CLOSE,
    DEFAULT_CONFIG,
    LEVEL,
    OPEN,
    DetectorState,
    detect_batch,
    fit_baseline,
    step,
    step_ahead,
)
from outages.detection import synthetic as syn
from outages.detection.incidents import Evidence, Incidents, advance
from outages.detection.synthetic import Wave

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)
CONFIG = DEFAULT_CONFIG
WEEK = syn.MINUTES_PER_WEEK
MINUTE = timedelta(minutes=1)


def machine(gated: list[float], *, recent: list[float] | None = None, values=None):
    """Run the state machine alone on one series' evidence, one point a minute."""
    state, alerts, events = Incidents.empty(1), [], []
    recent = recent if recent is not None else gated
    values = values if values is not None else [10.0] * len(gated)
    for i, (z, r, v) in enumerate(zip(gated, recent, values, strict=True)):
        evidence = Evidence(
            np.array([z]), np.array([r]), np.array([v]), np.array([1.0]), 60.0 * i, np.array([1])
        )
        state, alert, found = advance(state, evidence, 60.0, CONFIG)
        alerts.append(int(alert[0]))
        events.extend((i, e) for e in found)
    return state, alerts, events


def test_it_opens_at_level_1_then_rises_to_level_2_when_strong_for_long_enough():
    strong = CONFIG.problems_z + 1
    gated = [0, 0, CONFIG.open_z + 0.5, *[strong] * CONFIG.problems_points, strong]
    _, alerts, events = machine(gated)

    assert [(i, e.kind, e.level) for i, e in events] == [
        (2, OPEN, 1),
        (2 + CONFIG.problems_points, LEVEL, 2),
    ]
    # The rise is an event of the incident already announced, not a new alert.
    assert [i for i, a in enumerate(alerts) if a] == [2]


def test_it_tracks_the_peak_and_closes_after_enough_quiet_points():
    gated = [6, 6, 6, 6] + [0] * (CONFIG.close_points + 5)
    values = [20, 90, 40, 30] + [1] * (CONFIG.close_points + 5)
    state, _, events = machine(gated, values=values)

    close = events[-1][1]
    assert [e.kind for _, e in events] == [OPEN, CLOSE]
    assert events[-1][0] == 3 + CONFIG.close_points
    assert (close.peak, close.peak_at) == (90, datetime.fromtimestamp(60, tz=UTC))
    assert close.ended_at == datetime.fromtimestamp(180, tz=UTC)
    assert close.total == 180  # up to the last raised point, not the quiet tail
    assert state.level[0] == 0


def test_a_relapse_before_the_close_continues_the_same_incident():
    flapping = ([6] * 3 + [0] * (CONFIG.close_points // 2)) * 4
    _, alerts, events = machine(flapping + [0] * (CONFIG.close_points + 1))

    assert [e.kind for _, e in events] == [OPEN, CLOSE]
    assert sum(alerts) == 1


def test_after_a_close_a_new_rise_is_a_new_incident():
    gated = [6] * 3 + [0] * (CONFIG.close_points + CONFIG.cooldown_points) + [6] * 3
    _, _, events = machine(gated)

    assert [e.kind for _, e in events] == [OPEN, CLOSE, OPEN]
    assert events[0][1].started_at != events[-1][1].started_at


@pytest.mark.parametrize(("again", "opens"), [(5.0, False), (7.0, True)])
def test_soon_after_a_close_only_a_stronger_rise_opens_again(again, opens):
    gated = [6] * 3 + [0] * (CONFIG.close_points + 5) + [again] * 3
    _, _, events = machine(gated)

    assert [e.kind for _, e in events] == [OPEN, CLOSE] + [OPEN] * opens


def test_incident_state_round_trips_through_json_rows():
    state, _, _ = machine([6, 6, 0])
    rows = DetectorState(
        np.full((1, 45), 1.0), np.full((1, 45), 2.0), np.array([120.0]), state
    ).rows()
    again = DetectorState.from_rows(rows)

    assert again.incidents.row(0) == state.row(0)
    assert rows[0]["incident"]["level"] == 1


def history(weeks: int, peak: float, seed: int) -> np.ndarray:
    return syn.seasonal_counts(MONDAY, weeks * WEEK, peak_per_minute=peak, seed=seed).astype(float)


def stream(values: np.ndarray, *, fitted_on: np.ndarray, seed_minute: int):
    """Fit on the history, then step the next minutes one by one as the product does."""
    baseline = fit_baseline(fitted_on, start=MONDAY.timestamp(), interval=60)
    state = DetectorState.new(values.shape[0], CONFIG)
    results = []
    for i in range(values.shape[1]):
        now = MONDAY + timedelta(minutes=seed_minute + i)
        result = step(baseline, state, values[:, i], now=now, config=CONFIG)
        state = result.state
        results.append(result)
    return results


def test_a_clear_spike_opens_within_minutes_peaks_then_closes_after_recovery():
    weeks, peak = 2, 5.0
    past = history(weeks, peak, seed=11)
    minutes = 6 * 60
    # Tuesday evening: the rise starts 60 minutes in and peaks 5 minutes later at 200/min.
    begin = weeks * WEEK + 24 * 60 + 18 * 60
    wave = Wave(onset=60, peak_at=65, peak=200, decay=15)
    rng = np.random.default_rng(11)
    rate = syn.audience_rates(MONDAY + timedelta(minutes=begin), minutes, peak_per_minute=peak)
    now = rng.poisson(rate.sum(axis=0) + syn.spike_profile(minutes, waves=[wave]))

    results = stream(now[None, :].astype(float), fitted_on=past[None, :], seed_minute=begin)
    events = [(i, e) for i, r in enumerate(results) for e in r.events]
    kinds = [e.kind for _, e in events]
    opened, closed = events[0], events[-1]

    assert kinds[0] == OPEN and kinds[-1] == CLOSE and kinds.count(OPEN) == 1
    assert 60 <= opened[0] <= 63
    assert results[opened[0]].score[0] >= 0.5
    # One incident, one alert: a later rise to level 2 does not score as a new one.
    assert sum(r.score[0] >= 0.5 for r in results) == kinds.count(OPEN)
    assert LEVEL in kinds or opened[1].level == 2
    assert (
        abs((closed[1].peak_at - (MONDAY + timedelta(minutes=begin + 65))).total_seconds()) <= 120
    )
    assert closed[1].ended_at < MONDAY + timedelta(minutes=begin + 65 + 6 * 15)
    assert closed[0] <= 65 + 6 * 15 + CONFIG.close_points


def quiet_then(minutes: list[float], seed: int = 5):
    """A series of 4 reports a minute: its baseline, and its state after a quiet hour and then
    the given minutes."""
    rng = np.random.default_rng(seed)
    baseline = fit_baseline(rng.poisson(4, (1, 7 * 1440)), start=MONDAY.timestamp(), interval=60)
    state = DetectorState.new(1, CONFIG)
    values = [*rng.poisson(4, 60), *minutes]
    for i, value in enumerate(values):
        state = step(baseline, state, np.array([value]), now=MONDAY + i * MINUTE).state
    return baseline, state, MONDAY + len(values) * MINUTE


def test_a_rise_opens_ahead_on_the_minute_in_progress_and_its_full_step_continues_it():
    baseline, before, minute = quiet_then([12])
    kept, opened = step_ahead(baseline, before, np.array([18.0]), now=minute, fraction=0.75)

    assert [(e.kind, e.at, e.level) for e in opened] == [(OPEN, minute, 1)]
    assert kept.incidents.level[0] == 1 and kept.incidents.running[0] == 0
    assert np.array_equal(kept.observed, before.observed, equal_nan=True)
    full = step(baseline, kept, np.array([26.0]), now=minute)
    assert full.events == [] and full.level[0] == 1
    assert full.state.incidents.running[0] == 26  # the minute counted once, in full
    assert full.state.incidents.peak[0] == 26
    assert DetectorState.from_rows(kept.rows()).incidents.row(0) == kept.incidents.row(0)


def test_nothing_opens_ahead_on_a_quiet_minute_or_on_an_incident_already_open():
    baseline, quiet, minute = quiet_then([4])
    kept, opened = step_ahead(baseline, quiet, np.array([3.0]), now=minute, fraction=0.75)
    assert opened == [] and kept.incidents.row(0) == quiet.incidents.row(0)

    baseline, ongoing, minute = quiet_then([12, 30, 40, 60])
    assert ongoing.incidents.level[0] > 0
    kept, opened = step_ahead(baseline, ongoing, np.array([5.0]), now=minute, fraction=0.5)
    assert opened == [] and kept.incidents.row(0) == ongoing.incidents.row(0)


def test_two_days_of_quiet_seasonal_noise_open_nothing_ahead():
    """20 services from a few reports a day to hundreds a minute, each minute also judged
    ahead at a quarter, half and three quarters of it (its reports so far: binomial shares)."""
    peaks = np.geomspace(0.003, 300, 20)
    past = np.stack([history(2, p, seed=200 + i) for i, p in enumerate(peaks)])
    rng = np.random.default_rng(9)
    begin = 2 * WEEK
    rates = np.stack(
        [
            syn.audience_rates(MONDAY + begin * MINUTE, 2 * 1440, peak_per_minute=p).sum(axis=0)
            for p in peaks
        ]
    )
    now = rng.poisson(rates).astype(float)
    baseline = fit_baseline(past, start=MONDAY.timestamp(), interval=60)
    state, ahead = DetectorState.new(len(peaks), CONFIG), []
    for i in range(now.shape[1]):
        at = MONDAY + (begin + i) * MINUTE
        for fraction in (0.25, 0.5, 0.75):
            so_far = rng.binomial(now[:, i].astype(int), fraction).astype(float)
            ahead += step_ahead(baseline, state, so_far, now=at, fraction=fraction)[1]
        state = step(baseline, state, now[:, i], now=at).state
    assert ahead == []


@pytest.mark.parametrize(("burst", "alerts"), [(3, False), (300, True)])
def test_a_tiny_service_ignores_3_reports_but_not_300(burst, alerts):
    past = history(2, 0.005, seed=12)  # a few reports a day
    minutes = 120
    now = np.zeros(minutes)
    now[60:65] = burst / 5  # spread over five minutes
    if burst == 3:
        now[60:65] = [1, 0, 1, 0, 1]

    results = stream(now[None, :], fitted_on=past[None, :], seed_minute=2 * WEEK + 20 * 60)
    opened = [i for i, r in enumerate(results) for e in r.events if e.kind == OPEN]
    assert bool(opened) == alerts
    if alerts:
        assert opened[0] <= 63


def test_a_new_service_with_no_history_alerts_on_300_reports_not_on_3():
    for burst, alerts in ((3, False), (300, True)):
        now = np.zeros(60)
        now[30:33] = [burst // 3] * 3
        results = stream(now[None, :], fitted_on=np.zeros((1, 0)), seed_minute=0)
        assert any(e.kind == OPEN for r in results for e in r.events) == alerts


def test_a_month_of_quiet_seasonal_noise_raises_at_most_one_incident():
    """100 services from a few reports a day to hundreds a minute, a month of minutes after
    one day of history (new series are judged against the prior until their first fit: in the
    product, that day is the history the first baselines are fitted from). About a minute."""
    peaks = np.geomspace(0.003, 300, 100)
    day = 1440
    values = np.stack(
        [
            syn.seasonal_counts(MONDAY, 31 * day + day, peak_per_minute=p, seed=100 + i)
            for i, p in enumerate(peaks)
        ]
    ).astype(float)
    run = detect_batch(values, start=MONDAY, interval=60, config=replace(CONFIG))

    in_the_month = [e for i, e in run.events if e.kind == OPEN and i >= day]
    assert len(in_the_month) <= 1
    assert (run.score[:, day:] >= 0.5).sum() == len(in_the_month)


@pytest.mark.parametrize("interval", [60.0, 300.0])
def test_durations_mean_the_same_time_at_any_interval(interval):
    """An incident closes after close_seconds of quiet, whatever the spacing of points."""
    state, events = Incidents.empty(1), []
    quiet = int(CONFIG.close_seconds // interval) + 5
    for i, z in enumerate([6.0] * 3 + [0.0] * quiet):
        evidence = Evidence(
            np.array([z]),
            np.array([z]),
            np.array([10.0]),
            np.array([1.0]),
            interval * i,
            np.array([1]),
        )
        state, _, found = advance(state, evidence, interval, CONFIG)
        events.extend((i, e.kind) for e in found)

    closed = [i for i, kind in events if kind == CLOSE]
    assert (closed[0] - 2) * interval == CONFIG.close_seconds


def test_the_point_counts_at_the_products_minute_follow_the_seconds():
    assert CONFIG.windows == (1, 2, 5, 15, 45)
    assert CONFIG.close_points == CONFIG.close_seconds // 60
    assert CONFIG.cooldown_points == CONFIG.cooldown_seconds // 60
    assert CONFIG.windows_at(300.0) == (1, 1, 1, 3, 9)
