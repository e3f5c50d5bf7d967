"""The live demo's outages: sent by the tick through the real intake on the schedule anchored
at the demo's first tick, and big enough that the real detection pass opens their incidents.
The clock is simulated: ticks every 10 s, the full pass 5 s into each minute, early passes
every 15 s, as beat runs them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from outages.demo_outages import DemoOutage, outages_planned
from outages.detection.timebuckets import MINUTE
from outages.models import Incident, ServiceStatus
from outages.services.detection import detection_early_pass, detection_pass
from reports.models import SimulationAnchor
from reports.selectors import report_diversity
from reports.simulation import simulation_anchor, simulation_run, simulation_tick

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_buffer")]
# The demo's first start, a Wednesday evening (UTC), a few seconds into a minute.
ANCHOR = datetime(2026, 11, 18, 19, 0, 7, tzinfo=UTC)
FIRST = outages_planned(anchor=ANCHOR, start=ANCHOR, end=ANCHOR + MINUTE * 3)[0]


def seed(*slugs: str, days: int = 7) -> None:
    call_command(
        "seed",
        f"--days={days}",
        f"--until={ANCHOR.isoformat()}",
        f"--services={','.join(slugs)}",
        "--seed=3",
        stdout=StringIO(),
    )


def passes(now: datetime) -> None:
    """What beat runs at `now` besides the tick: the full pass, the early pass."""
    if now.second == 5:
        detection_pass(now=now, diversity=report_diversity)
    if now.second % 15 == 0:
        detection_early_pass(now=now, diversity=report_diversity)


def run_live(until: datetime, *, each: Callable[[datetime], None] = passes) -> None:
    """The demo from its first tick at ANCHOR, on a simulated clock, until `until`."""
    rng = np.random.default_rng(4)
    simulation_tick(now=ANCHOR, rng=rng)
    now = ANCHOR.replace(second=ANCHOR.second - ANCHOR.second % 5)
    while now < until:
        now += timedelta(seconds=5)
        if now.second % 10 == 0:
            simulation_tick(now=now, rng=rng)
        each(now)


def test_the_first_demo_outage_opens_an_incident_within_its_first_minutes(client):
    other = "spotify" if FIRST.slug != "spotify" else "netflix"
    seed(FIRST.slug, other)

    run_live(ANCHOR + 10 * MINUTE)  # "problems" on the home page within 10 minutes

    incident = Incident.objects.get(service__slug=FIRST.slug, dimension="")
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert FIRST.start - MINUTE <= incident.started_at <= FIRST.start + MINUTE
    assert incident.detected_at <= FIRST.start + 3 * MINUTE
    assert incident.level == 2
    assert incident.scope == Incident.Scope.INTERNATIONAL
    assert not Incident.objects.exclude(service__slug=FIRST.slug).exists()
    assert ServiceStatus.objects.get(service__slug=FIRST.slug).level == 2
    home = client.get("/").content.decode()
    quiet = ServiceStatus.objects.exclude(service__slug=FIRST.slug).get().service.name
    assert home.index(incident.service.name) < home.index(quiet)  # ranked first
    assert client.get(f"/incidents/{incident.pk}/").status_code == 200


def test_normal_demo_traffic_opens_no_incident_over_hours():
    slugs = ("twitter", "aws", "steam")
    seed(*slugs)

    simulation_run(slugs=slugs, start=ANCHOR, minutes=150, seed=9, clock=passes, clock_seconds=5)

    assert ServiceStatus.objects.count() == len(slugs)  # scored all along
    assert not Incident.objects.exists()


def test_the_schedule_is_anchored_once_for_every_process_and_restart():
    assert simulation_anchor(now=ANCHOR) == ANCHOR
    later = ANCHOR + timedelta(hours=5)

    assert simulation_anchor(now=later) == ANCHOR  # a restart, another worker
    assert SimulationAnchor.objects.count() == 1


def test_the_tick_sends_the_scheduled_outage_and_only_it():
    seed(FIRST.slug, days=1)
    simulation_anchor(now=ANCHOR)
    rng = np.random.default_rng(1)
    at = FIRST.start + 10 * MINUTE

    with_outage = simulation_tick(now=at, seconds=60, rng=rng)
    without = simulation_tick(now=at + MINUTE, seconds=60, rng=rng, outages=False)

    extra = FIRST.extra[9]  # the minute ending at `at`, a plateau minute
    assert with_outage.counted - without.counted == pytest.approx(extra, abs=5 * extra**0.5)


def one_of(outages: list[DemoOutage], *, platform: bool) -> DemoOutage:
    return next(o for o in outages if (o.platform if platform else o.country) and not o.cascade)


@pytest.mark.parametrize("platform", [True, False], ids=["platform", "country"])
def test_an_outage_of_one_platform_or_country_reports_from_it(platform):
    week = outages_planned(anchor=ANCHOR, start=ANCHOR, end=ANCHOR + timedelta(days=7))
    outage = one_of(week, platform=platform)
    seed(outage.slug, days=1)

    summary = simulation_run(
        slugs=[outage.slug],
        start=outage.start,
        minutes=outage.minutes,
        outages=[outage],
        seed=5,
        bursts_per_hour=0,
    )

    counted = summary.counted_by_platform if platform else summary.counted_by_country
    hit = outage.platform if platform else outage.country
    assert counted[hit] >= 0.8 * sum(outage.extra)
    assert counted[hit] >= 0.6 * summary.counted
