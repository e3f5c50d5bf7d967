"""The story of docs/design.md, end to end: simulated reports through the real intake,
counted into buckets, scored minute by minute on a simulated clock, told by one incident."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from outages.detection.timebuckets import MINUTE
from outages.models import Incident, IncidentEvent, Service
from outages.services.baselines import baselines_load
from outages.services.detection import detection_pass
from outages.services.series import SeriesKey
from reports.selectors import report_diversity
from reports.simulation import SCENARIOS, Summary, simulation_run
from tests.conftest import drain_all

# Through the production path (Redis stream, drained into buckets each minute): ~35,000 reports.
pytestmark = [pytest.mark.django_db, pytest.mark.services]

SCENARIO = SCENARIOS["twitter-2022-12-29"]
ONSET = SCENARIO.start + SCENARIO.waves[0].onset * MINUTE  # 00:07 UTC: the wave's first minute
PEAK = datetime.fromisoformat("2022-12-29T00:35:00+00:00")


def rise() -> datetime:
    """The rise: the first minute the scenario's wave adds as many reports as the service's
    baseline expects (its reports double). The wave grows from zero at its onset, so its
    first minutes are lost in the usual noise."""
    keys, baseline, _ = baselines_load(at=ONSET)
    whole = baseline.take([keys.index(SeriesKey(Service.objects.get(slug="twitter").id, "", ""))])
    extra = SCENARIO.spike()
    for i in range(SCENARIO.waves[0].onset, len(extra)):
        minute = SCENARIO.start + i * MINUTE
        if extra[i] >= baseline_expected(whole, minute):
            return minute
    raise AssertionError("the wave never doubles the reports")


def baseline_expected(baseline, minute: datetime) -> float:  # type: ignore[no-untyped-def]
    return float(baseline.expected(minute.timestamp())[0, 0])


@pytest.fixture
def replayed(settings, redis_client):  # type: ignore[no-untyped-def]
    settings.INTAKE_BUFFER = "redis"
    call_command(
        "seed",
        "--days=14",
        f"--until={SCENARIO.start.isoformat()}",
        "--services=twitter",
        "--seed=7",
        "--no-outages",
    )

    def minute_done(minute: datetime, summary: Summary) -> None:
        drain_all(redis_client)
        # Beat's full pass a few seconds after the minute ends, on the simulated clock (the
        # early passes within the minute are driven by tests/alerts/test_story_alerts.py).
        detection_pass(now=minute + MINUTE + timedelta(seconds=5), diversity=report_diversity)

    simulation_run(
        slugs=["twitter"],
        start=SCENARIO.start,
        minutes=110,
        scenario=SCENARIO,
        seed=11,
        progress=minute_done,
    )
    return Incident.objects.get(service__slug="twitter", dimension="")


def test_the_twitter_outage_replays_as_one_international_incident(replayed):
    incident = replayed
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert incident.level == 2
    risen = rise()
    # A rise under way opens within two minutes (the onset rule and the early pass). The rise
    # is where the wave first doubles the usual reports, so a taller wave puts it earlier: with
    # the scenario's peak centred (decay 16) it is 00:09, and the incident opens at 00:11 as
    # it did when the rise was 00:10.
    assert incident.detected_at - risen <= 2 * MINUTE
    assert ONSET <= incident.started_at <= risen + 2 * MINUTE  # "problems since 00:1x"
    assert abs(incident.peak_quarter_at - PEAK) <= timedelta(minutes=5)
    assert incident.peak_quarter_count == pytest.approx(10_000, rel=0.15)
    app = sum(share for name, share in incident.platforms.items() if name != "web")
    assert app == pytest.approx(0.10, abs=0.02)
    assert incident.scope == Incident.Scope.INTERNATIONAL
    assert len(incident.countries) >= 20
    # Recorded for alerting by the very pass that opened it (on the simulated clock), within
    # the two minutes above.
    opened = IncidentEvent.objects.get(incident=incident, kind="open")
    assert opened.at == incident.detected_at
    assert opened.at - risen <= 2 * MINUTE
