"""The seeded synthetic series: seasonality, noise, spikes, mixes and reporters. No database."""

from __future__ import annotations

import ipaddress
import os
import pkgutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

import outages.detection
from outages.detection import synthetic as syn
from outages.detection.synthetic import Audience, Mix, Reporters, Wave

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday, 00:00 UTC
WEEK = syn.MINUTES_PER_WEEK
ROOT = Path(__file__).resolve().parents[3]
# Without DJANGO_SETTINGS_MODULE, so nothing could configure Django even by accident.
CLEAN_ENV = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}


def test_it_repeats_a_series_for_the_same_seed_and_not_for_another():
    first = syn.seasonal_counts(MONDAY, 600, peak_per_minute=5, seed=3)
    again = syn.seasonal_counts(MONDAY, 600, peak_per_minute=5, seed=3)
    other = syn.seasonal_counts(MONDAY, 600, peak_per_minute=5, seed=4)

    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


def test_it_numbers_minutes_of_the_week_from_monday_utc():
    assert syn.minute_of_week(MONDAY, 1)[0] == 0
    assert syn.minute_of_week(datetime(2024, 1, 7, 23, 59, 30, tzinfo=UTC), 2).tolist() == [
        WEEK - 1,
        0,
    ]


def test_it_is_low_at_night_and_highest_in_the_local_evening():
    day = syn.expected_rate(np.arange(1440), peak_per_minute=10)

    assert day.max() == pytest.approx(10)
    assert int(day.argmax()) // 60 == 20  # its evening bump peaks at 20:45
    assert day[4 * 60] < 0.15 * day.max()


def test_it_shifts_the_curve_by_the_time_zone():
    london = syn.expected_rate(np.arange(1440))
    tokyo = syn.expected_rate(np.arange(1440), utc_offset_hours=9)

    # Tokyo lives every hour 9 hours ahead: its curve is London's, 9 hours earlier in UTC.
    assert np.allclose(tokyo, np.roll(london, -9 * 60))
    assert int(tokyo.argmax()) // 60 == 11  # 20:45 in Tokyo


def test_it_lowers_the_weekend_for_an_office_audience():
    week = syn.expected_rate(np.arange(WEEK), shape="office", weekend_factor=0.4)
    monday, saturday = week[:1440], week[5 * 1440 : 6 * 1440]

    assert 9 <= int(monday.argmax()) // 60 <= 16
    assert saturday.sum() == pytest.approx(0.4 * monday.sum())


def test_it_scales_the_busiest_minute_of_a_week_to_the_peak():
    rates = syn.audience_rates(MONDAY, WEEK, peak_per_minute=6)

    assert rates.shape == (len(syn.COUNTRIES.names), WEEK)
    assert rates.sum(axis=0).max() == pytest.approx(6)
    assert rates.sum(axis=0).min() > 0


def test_its_noise_averages_to_the_expected_rate():
    audience = Audience(Mix.of(US=1), weekend_factor=1.0)
    counts = syn.seasonal_counts(MONDAY, WEEK, peak_per_minute=8, seed=1, audience=audience)
    expected = syn.audience_rates(MONDAY, WEEK, peak_per_minute=8, audience=audience).sum()

    assert counts.sum() == pytest.approx(expected, rel=0.02)
    assert counts.dtype.kind == "i" and counts.min() >= 0


def test_a_spike_rises_from_its_onset_to_its_peak_then_decays():
    profile = syn.spike_profile(200, waves=[Wave(onset=20, peak_at=50, peak=100, decay=30)])

    assert profile[:21].sum() == 0
    assert np.all(np.diff(profile[20:51]) > 0)
    assert int(profile.argmax()) == 50 and profile[50] == pytest.approx(100)
    assert profile[80] == pytest.approx(100 / np.e)
    assert np.all(np.diff(profile[50:]) < 0)


def test_spike_waves_add_up():
    first, second = Wave(10, 20, 50, 10), Wave(60, 80, 30, 20)
    both = syn.spike_profile(150, waves=[first, second])

    assert np.allclose(
        both, syn.spike_profile(150, waves=[first]) + syn.spike_profile(150, waves=[second])
    )
    counts = syn.seasonal_counts(MONDAY, 150, peak_per_minute=1, seed=2, waves=[first])
    assert counts[18:23].mean() > 10 * counts[100:].mean()


def test_it_splits_counts_by_shares_keeping_totals():
    rng = np.random.default_rng(0)
    counts = np.array([0, 5, 1000, 30])
    parts = syn.split(counts, Mix.of(web=90, ios=6, android=4).shares, rng)

    assert parts.shape == (4, 3)
    assert parts.sum(axis=1).tolist() == counts.tolist()
    assert parts[2, 0] == pytest.approx(900, abs=40)


def test_a_mix_samples_by_its_shares():
    mix = Mix.of(US=50, JP=25, GB=25)
    drawn = np.bincount(mix.sample(np.random.default_rng(1), 20_000), minlength=3) / 20_000

    assert drawn == pytest.approx([0.5, 0.25, 0.25], abs=0.02)


def test_reporters_are_spread_over_many_networks_with_varied_agents():
    reporters = Reporters(np.random.default_rng(5), repeat_share=0.1)
    people = [reporters.pick(country="US", platform="web", app="Twitter") for _ in range(2000)]
    addresses = [ipaddress.ip_address(address) for address, _ in people]
    networks = {
        ipaddress.ip_network(f"{a}/{24 if a.version == 4 else 48}", strict=False) for a in addresses
    }

    assert all(a.is_global for a in addresses if a.version == 4)
    assert 0.2 < sum(a.version == 6 for a in addresses) / len(addresses) < 0.5
    assert len(networks) > 1000
    # About one in ten reports again (a repeat is someone already picked): within binomial
    # noise of 10% repeats, the rest distinct.
    repeats = len(people) - len(set(people))
    assert abs(repeats - 0.1 * len(people)) <= 4 * (len(people) * 0.1 * 0.9) ** 0.5
    assert len({agent for _, agent in people}) > 1000


@pytest.mark.parametrize("platform", ["web", "ios", "android", "desktop", "api", "other"])
def test_user_agents_name_the_app_on_its_platform(platform):
    agent = syn.user_agent(np.random.default_rng(0), platform=platform, app="Acme Chat")

    assert agent and agent.isprintable()
    assert ("AcmeChat" in agent) == (platform in ("ios", "android", "desktop"))


def test_the_detection_package_imports_no_django():
    modules = [
        f"outages.detection.{m.name}"
        for m in pkgutil.iter_modules(outages.detection.__path__)
        if m.name != "__main__"  # the command line; importing it would run it
    ]
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, env=CLEAN_ENV
    )

    assert "outages.detection.synthetic" in modules
    assert result.returncode == 0, result.stderr
