"""The README's replay, end to end through its exact command: the night Twitter broke
(docs/design.md), replayed six hours ago through the real intake over seeded history, ends
with the incident recorded and told as the article tells it, in the replay's time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.models import Incident, IncidentEvent

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 12, 30, 30, tzinfo=UTC)
START = floor_to_minute(NOW - timedelta(hours=6))  # --start now-6h
PEAK = START + 65 * MINUTE  # 00:35 in the original, 65 minutes after its 23:30 start


@pytest.fixture
def replayed(request: pytest.FixtureRequest) -> Iterator[str]:
    """A demo service with nine days of seeded history (a warm-up, then history to detect
    in), then the README's command, run at NOW."""
    if settings.REDIS_URL:  # the production path: reports go through the stream
        request.getfixturevalue("redis_client")
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed", "--days=9", "--services=twitter", "--seed=3", stdout=StringIO())
        call_command(
            "simulate", "--scenario", "twitter-2022-12-29", "--start", "now-6h", stdout=out
        )
    yield out.getvalue()


def test_the_readme_replay_ends_with_the_articles_incident_and_alerts_no_one(replayed):
    """The replay takes most of a minute: one test reads everything it leaves."""
    # The seeded history has outages of its own: the replay's is the one since its start.
    incident = Incident.objects.get(service__slug="twitter", dimension="", started_at__gte=START)

    assert incident.visibility == Incident.Visibility.PUBLIC
    assert incident.level == 2
    assert START + 37 * MINUTE <= incident.started_at <= PEAK  # it began with the wave
    assert incident.peak_quarter_count == pytest.approx(10_000, rel=0.15)
    assert abs(incident.peak_quarter_at - PEAK) <= timedelta(minutes=5)
    app = sum(share for name, share in incident.platforms.items() if name != "web")
    assert app == pytest.approx(0.10, abs=0.02)
    assert incident.scope == Incident.Scope.INTERNATIONAL
    assert len(incident.countries) >= 20
    assert incident.works_total > 0  # "works for me" beside the problems
    assert f"Incident recorded: Twitter since {incident.started_at:%H:%M} UTC" in replayed

    events = IncidentEvent.objects.filter(incident__service__slug="twitter")
    assert events.filter(kind="open").exists()
    assert not events.filter(delivered_at__isnull=True).exists()
