"""Simulated traffic goes through the real intake: the Twitter night of 2022-12-29 replayed,
normal traffic, and the live tick. Intake writes straight to the database here."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db.models import Sum

from outages.demo import service_profile
from outages.detection.synthetic import Reporters, audience_rates
from outages.models import MinuteBucket
from reports.models import Report
from reports.simulation import SCENARIOS, simulation_run, simulation_tick
from reports.tasks import simulation_tick_task
from tests.factories import ServiceFactory
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_buffer")]
TWITTER_NIGHT = SCENARIOS["twitter-2022-12-29"]
NOW = datetime(2024, 3, 6, 12, 30, 20, tzinfo=UTC)


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter", category="social")


def at(hour: int, minute: int) -> datetime:
    """A moment of the night of 28-29 December 2022 (UTC)."""
    return datetime(2022, 12, 28 if hour > 12 else 29, hour, minute, tzinfo=UTC)


def replay(**options: object):
    """The scenario's first 2.5 hours, at 5% of its volume."""
    return simulation_run(
        slugs=["twitter"],
        start=TWITTER_NIGHT.start,
        minutes=150,
        scenario=TWITTER_NIGHT,
        rate=0.05,
        seed=7,
        **options,
    )


def test_the_twitter_night_peaks_near_00_35_mostly_on_the_web(twitter):
    summary = replay()

    problems = MinuteBucket.objects.filter(kind="problem")
    per_minute = Counter(dict(problems.values_list("minute").annotate(n=Sum("count"))))
    five, quarters = Counter(), Counter()
    for minute, n in per_minute.items():
        five[minute.replace(minute=minute.minute - minute.minute % 5)] += n
        quarters[minute.replace(minute=minute.minute - minute.minute % 15)] += n
    assert five.most_common(1)[0][0] in (at(0, 30), at(0, 35), at(0, 40))
    (busiest, quarter), *_ = quarters.most_common()
    assert busiest == at(0, 30)
    assert 400 < quarter < 600  # ~10,000 at full scale, x0.05
    baseline = sum(n for minute, n in per_minute.items() if minute < at(0, 7))
    assert baseline < 0.1 * quarter  # rises from a quiet night
    assert bucket_total(platform="web") / summary.counted == pytest.approx(0.9, abs=0.05)


def test_the_twitter_night_comes_from_many_countries_us_first(twitter):
    replay()

    countries = Counter(dict(MinuteBucket.objects.values_list("country").annotate(n=Sum("count"))))
    (first, us), *_ = countries.most_common()
    assert first == "US"
    assert 0.15 * us < countries["JP"] < 0.45 * us
    assert 0.15 * us < countries["GB"] < 0.45 * us
    assert len(countries) >= 20


def test_every_simulated_report_went_through_intake(twitter):
    summary = replay(bursts_per_hour=6)

    assert Report.objects.count() == summary.accepted
    assert Report.objects.filter(counted=True).count() == summary.counted == bucket_total()
    assert summary.sent == summary.accepted + sum(summary.rejected.values())
    assert summary.rejected["rate_limited"] > 0  # the bursts hit the per-reporter limit
    assert Report.objects.filter(counted=False).exists()  # repeats are kept, not counted
    assert Report.objects.values("fingerprint").distinct().count() > 0.8 * summary.counted
    assert_buckets_match_raw_reports()


def test_the_command_replays_the_scenario_and_prints_a_summary(twitter):
    out = StringIO()
    call_command(
        "simulate",
        "--scenario",
        "twitter-2022-12-29",
        "--scale",
        "0.02",
        "--seed",
        "3",
        "--minutes",
        "90",
        stdout=out,
    )

    output = out.getvalue()
    assert "from 2022-12-28 23:30 UTC for twitter" in output
    assert f"{Report.objects.count()} accepted, {bucket_total()} counted" in output
    assert "peak quarter-hour 00:30" in output


def test_the_command_shifts_the_scenario_to_a_recent_start(twitter):
    with time_machine.travel(NOW, tick=False):
        call_command(
            "simulate",
            "--scenario",
            "twitter-2022-12-29",
            "--rate",
            "0.01",
            "--seed",
            "1",
            "--start",
            "now-6h",
            "--minutes",
            "60",
            stdout=StringIO(),
        )

    received = Report.objects.order_by("received_at").values_list("received_at", flat=True)
    assert received[0] >= NOW.replace(second=0) - timedelta(hours=6)
    assert received[len(received) - 1] < NOW.replace(second=0) - timedelta(hours=5)


def test_the_command_refuses_a_clock_that_runs_past_now(twitter):
    with time_machine.travel(NOW, tick=False), pytest.raises(CommandError, match="past now"):
        call_command("simulate", "--start=-30m", "--minutes", "60", stdout=StringIO())


def test_the_command_refuses_an_unknown_service(twitter):
    with pytest.raises(CommandError, match="nope"):
        call_command("simulate", "--services", "twitter,nope", stdout=StringIO())


def test_normal_traffic_follows_each_service_profile():
    ServiceFactory(slug="twitter", category="social")
    ServiceFactory(slug="aws", category="cloud")
    start = datetime(2024, 3, 6, 8, 0, tzinfo=UTC)  # a Wednesday

    summary = simulation_run(
        slugs=["twitter", "aws"], start=start, minutes=60, seed=2, bursts_per_hour=0
    )

    per_service = dict(MinuteBucket.objects.values_list("service__slug").annotate(n=Sum("count")))
    assert summary.counted == sum(per_service.values())
    # What twitter's profile expects of that hour (problems, and "works" reports beside them),
    # less the few repeats that intake does not count: within Poisson noise of it.
    profile = service_profile(slug="twitter", category="social")
    problems = audience_rates(
        start, 60, peak_per_minute=profile.peak_per_minute, audience=profile.audience
    ).sum()
    repeats = Reporters(np.random.default_rng(0)).repeat_share  # the crowd's default
    expected = problems * (1 + profile.works_share - repeats)
    assert abs(per_service["twitter"] - expected) <= 4 * expected**0.5
    assert per_service["aws"] < per_service["twitter"]
    assert MinuteBucket.objects.filter(service__slug="aws", platform="api").exists()
    assert_buckets_match_raw_reports()


def test_the_tick_sends_the_last_seconds_of_traffic_for_every_active_service():
    for slug in ("twitter", "facebook", "youtube"):
        ServiceFactory(slug=slug, category="social")
    ServiceFactory(slug="retired", is_active=False)

    summary = simulation_tick(now=NOW, seconds=600)

    received = Report.objects.values_list("received_at", flat=True)
    assert summary.accepted == len(received) > 0
    assert all(NOW - timedelta(seconds=600) <= moment <= NOW for moment in received)
    assert set(Report.objects.values_list("service__slug", flat=True)) == {
        "twitter",
        "facebook",
        "youtube",
    }
    assert_buckets_match_raw_reports()


def test_the_tick_task_runs_the_tick_at_the_current_time(twitter):
    with time_machine.travel(NOW, tick=False):
        counted = sum(simulation_tick_task() for _ in range(30))

    assert counted == bucket_total() > 0
