"""Detection backfilled over stored history: the incidents live detection would have recorded,
recorded once however often it runs, with no alert, and handed over to the live pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from alerts.services.fanout import events_fan_out
from outages.detection.timebuckets import MINUTE
from outages.incident_rules import Diversity
from outages.models import DetectionCursor, Incident, IncidentEvent, SeriesState
from outages.services import backfill
from outages.services.backfill import WARM_UP, detection_backfill
from outages.services.baselines import baselines_fit
from outages.services.buckets import BucketKey, bucket_increment
from outages.services.detection import detection_pass
from tests.factories import DetectionCursorFactory, ServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)  # a Wednesday evening
START = NOW - WARM_UP - timedelta(days=1)  # history: a warm-up, then a day to detect in
SPIKE = NOW - timedelta(hours=10)
MIX = {("web", "US"): 1.2, ("ios", "US"): 0.5, ("web", "FR"): 0.5, ("android", "FR"): 0.3}


def diverse(service_id: int, since: datetime, until: datetime) -> Diversity:
    return Diversity(
        reports=500, reporters=480, networks=400, top_network_share=0.01, top_origin_share=0.0
    )


def write_history(service_id: int, *, seed: int = 1) -> None:
    """Usual traffic from START to NOW, straight into the buckets."""
    rng = np.random.default_rng(seed)
    minutes = int((NOW - START) // MINUTE)
    increments = {}
    for (platform, country), rate in MIX.items():
        counts = rng.poisson(rate, minutes)
        for i in np.flatnonzero(counts):
            key = BucketKey(
                service_id, START + int(i) * MINUTE, "problem", platform, "login", country
            )
            increments[key] = int(counts[i])
    with transaction.atomic():
        bucket_increment(increments=increments)


def spike(service_id: int, at: datetime, *, minutes: int = 20, size: int = 40) -> None:
    """An outage: `size` more reports a minute, from the US and France, web and app."""
    increments = {}
    for i in range(minutes):
        for (platform, country), share in {
            ("web", "US"): 0.5,
            ("ios", "US"): 0.2,
            ("web", "FR"): 0.3,
        }.items():
            key = BucketKey(service_id, at + i * MINUTE, "problem", platform, "login", country)
            increments[key] = int(size * share)
    with transaction.atomic():
        bucket_increment(increments=increments)


@pytest.fixture
def service():  # type: ignore[no-untyped-def]
    service = ServiceFactory(slug="chirp")
    write_history(service.id)
    baselines_fit(now=START + WARM_UP)
    return service


def run(**options):  # type: ignore[no-untyped-def]
    return detection_backfill(
        since=NOW - timedelta(days=1), until=NOW, diversity=diverse, **options
    )


def story(incident: Incident) -> tuple[object, ...]:
    """What an incident tells, from the buckets (the baseline's figures aside)."""
    countries = [(c["country"], c["count"]) for c in incident.countries]
    return (
        incident.service_id,
        incident.dimension,
        incident.started_at,
        incident.detected_at,
        incident.ended_at,
        incident.level,
        incident.peak_at,
        incident.peak_count,
        incident.total,
        incident.platforms,
        countries,
        incident.scope,
    )


def test_a_spike_in_stored_history_is_recorded_as_one_incident_with_its_figures(service):
    spike(service.id, SPIKE)

    result = run()

    incident = Incident.objects.get()
    assert result.incidents == 1
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert incident.status == Incident.Status.CLOSED
    assert SPIKE - 2 * MINUTE <= incident.started_at <= SPIKE + 2 * MINUTE
    assert incident.detected_at <= SPIKE + 3 * MINUTE
    assert SPIKE <= incident.peak_at < SPIKE + 20 * MINUTE
    assert incident.peak_quarter_count >= 15 * 40 * 0.9
    assert incident.total >= 20 * 40
    assert incident.expected_total > 0
    assert {c["country"] for c in incident.countries} >= {"US", "FR"}
    assert incident.scope == Incident.Scope.SEVERAL


def test_quiet_history_records_nothing(service):
    assert run().incidents == 0
    assert not Incident.objects.exists()


def test_it_records_what_live_detection_records_minute_by_minute(service):
    spike(service.id, SPIKE)
    first = SPIKE - 60 * MINUTE
    DetectionCursorFactory(minute=first - MINUTE)
    baselines_fit(now=first)
    for i in range(200):
        detection_pass(now=first + (i + 1) * MINUTE + timedelta(seconds=5), diversity=diverse)
    live = Incident.objects.get()
    Incident.objects.all().delete()
    DetectionCursor.objects.all().delete()

    detection_backfill(since=first, until=first + 200 * MINUTE, diversity=diverse)

    backfilled = Incident.objects.get()
    assert abs(backfilled.started_at - live.started_at) <= 2 * MINUTE
    assert abs(backfilled.detected_at - live.detected_at) <= 2 * MINUTE
    assert (backfilled.peak_at, backfilled.peak_count, backfilled.level) == (
        live.peak_at,
        live.peak_count,
        live.level,
    )
    assert backfilled.scope == live.scope


def test_running_it_twice_records_the_same_incidents_once(service):
    spike(service.id, SPIKE)
    spike(service.id, SPIKE + timedelta(hours=5), size=60)
    run()
    first = sorted((*story(i), i.expected_total, i.countries) for i in Incident.objects.all())

    again = run()

    assert again.replaced == len(first) == 2
    found = sorted((*story(i), i.expected_total, i.countries) for i in Incident.objects.all())
    assert found == first


def test_moderated_incidents_are_kept_and_not_recorded_twice(service):
    spike(service.id, SPIKE)
    run()
    confirmed = Incident.objects.get()
    Incident.objects.filter(pk=confirmed.pk).update(
        review=Incident.Review.CONFIRMED, public_note="Confirmed by the provider."
    )

    result = run()

    assert result.replaced == 0
    assert list(Incident.objects.values_list("pk", flat=True)) == [confirmed.pk]
    assert Incident.objects.get().public_note == "Confirmed by the provider."


def test_an_incident_already_open_when_the_range_starts_is_replaced_whole(service):
    spike(service.id, SPIKE, minutes=30)
    run()
    before = story(Incident.objects.get())

    detection_backfill(since=SPIKE + 10 * MINUTE, until=NOW, diversity=diverse)

    assert [story(i) for i in Incident.objects.all()] == [before]


def test_no_alert_is_sent_for_past_incidents(service):
    spike(service.id, SPIKE)

    run()

    events = IncidentEvent.objects.all()
    assert {e.kind for e in events} >= {"open", "close"}
    assert not events.filter(delivered_at__isnull=True).exists()
    assert events_fan_out(now=NOW) == 0


def test_nothing_is_recorded_in_a_services_warm_up(service):
    spike(service.id, START + WARM_UP - timedelta(hours=3))

    result = detection_backfill(since=START, until=NOW, diversity=diverse)

    assert result.incidents == 0


def test_history_without_raw_reports_behind_it_is_published_with_its_diversity(service):
    spike(service.id, SPIKE)
    nobody = Diversity(
        reports=0, reporters=0, networks=0, top_network_share=0.0, top_origin_share=0.0
    )

    detection_backfill(since=NOW - timedelta(days=1), until=NOW, diversity=lambda *_: nobody)

    incident = Incident.objects.get()
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert incident.diversity["reports"] == 0


def test_live_detection_carries_on_from_where_it_ended(service):
    spike(service.id, NOW - 30 * MINUTE, minutes=40)  # still rising at NOW

    run()

    incident = Incident.objects.get()
    assert incident.status == Incident.Status.OPEN
    assert DetectionCursor.objects.get().minute == NOW - MINUTE
    assert SeriesState.objects.filter(service=service, dimension="").exists()
    detection_pass(now=NOW + MINUTE + timedelta(seconds=5), diversity=diverse)
    assert Incident.objects.get().pk == incident.pk
    assert DetectionCursor.objects.get().minute == NOW


def test_it_runs_on_up_to_the_minute_live_detection_reached(service):
    DetectionCursorFactory(minute=NOW - MINUTE)

    result = detection_backfill(since=NOW - timedelta(days=1), until=NOW - timedelta(hours=2))

    assert result.until == NOW
    assert DetectionCursor.objects.get().minute == NOW - MINUTE


def test_small_chunks_and_windows_record_the_same_incidents(service, monkeypatch):
    other = ServiceFactory(slug="squeak")
    write_history(other.id, seed=2)
    baselines_fit(now=START + WARM_UP)
    spike(service.id, SPIKE)
    spike(other.id, SPIKE + timedelta(hours=2))
    run()
    whole = sorted(story(i) for i in Incident.objects.all())

    monkeypatch.setattr(backfill, "_CHUNK", 1)
    monkeypatch.setattr(backfill, "_READ", timedelta(hours=5))
    run()

    assert len(whole) == 2
    assert sorted(story(i) for i in Incident.objects.all()) == whole


def test_the_command_backfills_with_a_progress_line(service):
    spike(service.id, SPIKE)
    out = StringIO()

    call_command(
        "detect",
        "--backfill",
        f"--since={(NOW - timedelta(days=1)).isoformat()}",
        f"--until={NOW.isoformat()}",
        "--services=chirp",
        stdout=out,
    )

    output = out.getvalue()
    assert "100%" in output
    assert "1 incidents recorded" in output and "no alert sent" in output
    assert Incident.objects.count() == 1


def test_the_command_refuses_unknown_services_and_naive_times(service):
    with pytest.raises(CommandError, match="No active service nope"):
        call_command("detect", "--backfill", "--since=2026-11-17T00:00Z", "--services=nope")
    with pytest.raises(CommandError, match="UTC offset"):
        call_command("detect", "--backfill", "--since=2026-11-17T00:00")
