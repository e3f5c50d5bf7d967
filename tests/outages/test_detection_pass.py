"""The per-minute detection pass on the database: baselines, incidents, outbox, rules.

Over 300 lines: the pass's cases share one written history and its fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.db import transaction

from outages.detection.timebuckets import MINUTE
from outages.incident_rules import Diversity, scope_verdict
from outages.models import (
    DetectionCursor,
    Dimension,
    Incident,
    IncidentEvent,
    SeriesBaseline,
    SeriesState,
)
from outages.services.baselines import baselines_fit, baselines_load
from outages.services.buckets import BucketKey, bucket_increment
from outages.services.detection import detection_early_pass, detection_pass
from outages.services.series import SeriesKey, Shard
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)  # a Wednesday evening
# Usual traffic: (platform, country) -> reports per minute.
MIX = {("web", "US"): 1.2, ("ios", "US"): 0.5, ("web", "FR"): 0.5, ("android", "FR"): 0.3}


def diverse(service_id: int, since: datetime, until: datetime) -> Diversity:
    return Diversity(
        reports=500, reporters=480, networks=400, top_network_share=0.01, top_origin_share=0.0
    )


def one_network(service_id: int, since: datetime, until: datetime) -> Diversity:
    return Diversity(
        reports=500, reporters=40, networks=1, top_network_share=1.0, top_origin_share=0.0
    )


def write_history(service_id: int, *, days: int = 7, end: datetime = NOW, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=days)
    minutes = days * 1440
    increments = {}
    for (platform, country), rate in MIX.items():
        counts = rng.poisson(rate, minutes)
        for i in np.flatnonzero(counts):
            key = BucketKey(
                service_id, start + int(i) * MINUTE, "problem", platform, "login", country
            )
            increments[key] = int(counts[i])
    with transaction.atomic():
        bucket_increment(increments=increments)


def add(
    service_id: int,
    minute: datetime,
    count: int,
    *,
    platform: str = "web",
    country: str = "US",
    kind: str = "problem",
) -> None:
    problem = "login" if kind == "problem" else ""
    key = BucketKey(service_id, minute, kind, platform, problem, country)
    with transaction.atomic():
        bucket_increment(increments={key: count})


def run_minutes(first: datetime, minutes: int, *, diversity=diverse, shard=None, each=None):  # type: ignore[no-untyped-def]
    """One pass per minute from `first`, as beat would run them (scoring minute m at m+1)."""
    for i in range(minutes):
        minute = first + i * MINUTE
        if each:
            each(minute)
        detection_pass(
            now=minute + MINUTE + timedelta(seconds=5),
            diversity=diversity,
            **({"shard": shard} if shard else {}),
        )


@pytest.fixture
def service():  # type: ignore[no-untyped-def]
    service = ServiceFactory(slug="chirp")
    write_history(service.id)
    baselines_fit(now=NOW)
    return service


def spike(service_id: int, *, size: int = 60, **labels: str):  # type: ignore[no-untyped-def]
    def each(minute: datetime) -> None:
        add(service_id, minute, size, **labels)

    return each


def test_a_fit_stores_the_whole_service_and_its_significant_segments(service):
    keys = set(SeriesBaseline.objects.values_list("service_id", "dimension", "value"))
    assert (service.id, "", "") in keys
    assert {(service.id, "platform", p) for p in ("web", "ios", "android")} <= keys
    assert {(service.id, "country", c) for c in ("US", "FR")} <= keys
    loaded, baseline, shares = baselines_load(at=NOW)
    whole = loaded.index(SeriesKey(service.id, "", ""))
    assert baseline.level[whole] == pytest.approx(sum(MIX.values()), rel=0.5)
    assert shares[SeriesKey(service.id, "country", "US")] == pytest.approx(1.7 / 2.5, abs=0.05)


def test_a_new_service_without_history_gets_the_prior():
    service = ServiceFactory()
    loaded, baseline, _ = baselines_load(keys=[SeriesKey(service.id, "", "")], at=NOW)
    assert loaded == [SeriesKey(service.id, "", "")]
    assert baseline.level[0] < 0.05  # a few reports a day


def test_quiet_minutes_open_nothing(service):
    run_minutes(NOW, 30)
    assert not Incident.objects.exists()
    assert not IncidentEvent.objects.exists()


def test_a_spike_opens_a_public_incident_with_one_open_event(service):
    run_minutes(NOW, 10, each=spike(service.id))
    incident = Incident.objects.get()
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert incident.dimension == Dimension.ALL
    assert NOW <= incident.started_at <= NOW + 3 * MINUTE
    assert incident.detected_at <= NOW + 4 * MINUTE
    assert incident.total >= 60 * 9
    assert incident.platforms["web"] > 0.8
    assert list(IncidentEvent.objects.values_list("kind", flat=True))[:1] == ["open"]
    assert IncidentEvent.objects.filter(kind="open").count() == 1


def test_it_rises_to_problems_and_closes_after_recovery(service):
    run_minutes(NOW, 20, each=spike(service.id, size=200))
    incident = Incident.objects.get()
    assert incident.level == 2
    run_minutes(NOW + 20 * MINUTE, 130)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.CLOSED
    assert incident.ended_at is not None
    kinds = list(IncidentEvent.objects.values_list("kind", "level"))
    assert kinds == [("open", 1), ("level", 2), ("close", 2)] or kinds == [
        ("open", 2),
        ("level", 2),
        ("close", 2),
    ]
    assert not SeriesState.objects.filter(state__level__gt=0).exists()


def test_a_repeated_or_redelivered_pass_records_no_event_twice(service):
    run_minutes(NOW, 10, each=spike(service.id))
    events = list(IncidentEvent.objects.values_list("key", flat=True))
    again = NOW + 10 * MINUTE + timedelta(seconds=5)
    assert detection_pass(now=again, diversity=diverse).minutes == 0  # the same minute: done
    # Redelivered after the cursor was lost: the transitions are keyed, so nothing new.
    DetectionCursor.objects.all().delete()
    detection_pass(now=again, diversity=diverse)
    run_minutes(NOW + 3 * MINUTE, 5, each=spike(service.id))  # older minutes: all done
    assert list(IncidentEvent.objects.values_list("key", flat=True)) == events
    assert Incident.objects.count() == 1


def test_a_clear_rise_opens_during_its_second_minute_and_the_full_pass_continues_it(service):
    run_minutes(NOW, 10)
    rise = NOW + 10 * MINUTE
    run_minutes(rise, 1, each=spike(service.id, size=10))  # above the band, not enough alone
    assert not Incident.objects.exists()
    add(service.id, rise + MINUTE, 20)  # the next minute's first half
    result = detection_early_pass(now=rise + MINUTE + timedelta(seconds=30), diversity=diverse)

    incident = Incident.objects.get()
    assert (result.events, result.undelivered) == (3, True)  # the service, web and US opened
    assert (incident.detected_at, incident.started_at) == (rise + MINUTE, rise)
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert IncidentEvent.objects.get().kind == "open"
    run_minutes(rise + MINUTE, 2, each=spike(service.id, size=40))  # the rest, and one more
    assert Incident.objects.get().pk == incident.pk
    assert IncidentEvent.objects.count() == 1
    assert Incident.objects.get().total == 10 + 60 + 40  # each minute counted once


def test_the_early_pass_waits_for_a_quarter_of_the_minute_and_for_the_last_one_scored(service):
    run_minutes(NOW, 10)
    rise = NOW + 10 * MINUTE
    add(service.id, rise, 10)
    add(service.id, rise + MINUTE, 20)
    early = rise + MINUTE + timedelta(seconds=30)
    assert detection_early_pass(now=early, diversity=diverse).series == 0  # `rise` not scored
    run_minutes(rise, 1)
    assert detection_early_pass(now=early - timedelta(seconds=20), diversity=diverse).series == 0
    assert not Incident.objects.exists() and not SeriesState.objects.exists()
    assert detection_early_pass(now=early, diversity=diverse).events > 0


def test_the_early_pass_reads_only_services_on_the_rise_and_keeps_the_others_states(service):
    other = ServiceFactory(slug="other")
    write_history(other.id, seed=2)
    run_minutes(NOW, 10)
    run_minutes(NOW + 10 * MINUTE, 1, each=spike(other.id, size=40))  # `other` opens
    kept = set(SeriesState.objects.filter(service=other).values_list("dimension", "value"))
    assert kept and Incident.objects.get().service == other
    rise = NOW + 11 * MINUTE
    run_minutes(rise, 1, each=spike(service.id, size=10))
    add(service.id, rise + MINUTE, 20)

    result = detection_early_pass(now=rise + MINUTE + timedelta(seconds=30), diversity=diverse)

    assert result.events == 3
    assert Incident.objects.filter(service=service).exists()
    assert set(SeriesState.objects.filter(service=other).values_list("dimension", "value")) == kept


def test_quiet_minutes_in_progress_open_nothing_and_store_nothing(service):
    run_minutes(NOW, 10)
    read = []
    for second in (15, 30, 45):
        add(service.id, NOW + 10 * MINUTE, 1)
        at = NOW + 10 * MINUTE + timedelta(seconds=second)
        read.append(detection_early_pass(now=at, diversity=diverse).series)
    assert not Incident.objects.exists() and not SeriesState.objects.exists()
    assert read == [0, 0, 0]  # too few reports to be on the rise: no series is even read


def test_a_spike_from_one_network_stays_suspicious_with_no_event(service):
    run_minutes(NOW, 10, each=spike(service.id), diversity=one_network)
    incident = Incident.objects.get()
    assert incident.visibility == Incident.Visibility.SUSPICIOUS
    assert incident.diversity["top_network_share"] == 1.0
    assert not IncidentEvent.objects.exists()


def test_a_suspicious_incident_is_published_once_diverse(service):
    run_minutes(NOW, 5, each=spike(service.id), diversity=one_network)
    run_minutes(NOW + 5 * MINUTE, 2, each=spike(service.id))
    incident = Incident.objects.get()
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert IncidentEvent.objects.get(kind="open").at == NOW + 5 * MINUTE  # when published


def test_an_ios_only_outage_is_an_ios_incident(service):
    run_minutes(NOW, 15, each=spike(service.id, size=25, platform="ios"))
    incident = Incident.objects.get(status="open")
    assert incident.only == "platform:ios"
    assert incident.platforms["ios"] > 0.9


def test_a_service_wide_outage_is_one_incident_not_one_per_segment(service):
    def everywhere(minute: datetime) -> None:
        for (platform, country), rate in MIX.items():
            add(service.id, minute, int(rate * 80), platform=platform, country=country)

    run_minutes(NOW, 10, each=everywhere)
    assert Incident.objects.get().dimension == Dimension.ALL


def test_works_for_me_lowers_confidence_and_marks_recovery(service):
    def mixed(minute: datetime) -> None:
        add(service.id, minute, 30)
        add(service.id, minute, 40, kind="works")

    run_minutes(NOW, 10, each=mixed)
    incident = Incident.objects.get(status="open")
    assert incident.confidence < 0.5
    assert incident.works_total > incident.total * 0.8
    assert incident.recovering_at is not None


def test_countries_carry_their_ratio_and_the_scope_verdict(service):
    run_minutes(NOW, 10, each=spike(service.id, size=60, country="FR", platform="web"))
    incident = Incident.objects.get(status="open")
    fr = next(c for c in incident.countries if c["country"] == "FR")
    assert fr["ratio"] > 5
    assert incident.scope == Incident.Scope.ONE
    assert incident.only == "country:FR"


@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        ({"FR": 500, "DE": 4}, "one"),
        ({"FR": 300, "DE": 250, "IT": 100}, "several"),
        ({c: 100 for c in ("US", "JP", "GB", "CA", "DE", "FR", "BR")}, "international"),
    ],
)
def test_the_scope_verdict(counts, verdict):
    rows = [{"country": c, "count": n, "expected": 5.0, "ratio": n / 5} for c, n in counts.items()]
    assert scope_verdict(rows) == verdict


def test_services_spiking_together_are_linked_as_a_cascade():
    services = [ServiceFactory(slug=f"cloud-{i}") for i in range(3)]
    for i, service in enumerate(services):
        write_history(service.id, days=3, seed=i)
    baselines_fit(now=NOW)

    def all_spike(minute: datetime) -> None:
        for service in services:
            add(service.id, minute, 60)

    run_minutes(NOW, 8, each=all_spike)
    incidents = list(Incident.objects.all())
    assert len(incidents) == 3
    assert len({i.cascade_id for i in incidents}) == 1 and incidents[0].cascade_id


def test_shards_split_the_services_and_together_cover_them():
    services = [ServiceFactory(slug=f"svc-{i}") for i in range(4)]
    for i, service in enumerate(services):
        write_history(service.id, days=3, seed=i)
    baselines_fit(now=NOW)

    def all_spike(minute: datetime) -> None:
        for service in services:
            add(service.id, minute, 60)

    for i in range(8):
        minute = NOW + i * MINUTE
        all_spike(minute)
        for index in range(2):
            detection_pass(now=minute + MINUTE, shard=Shard(index, 2), diversity=diverse)
    assert Incident.objects.count() == 4
    assert set(DetectionCursor.objects.values_list("shard", flat=True)) == {"0/2", "1/2"}


def test_a_service_without_reports_is_fitted_at_the_prior_and_its_history_starts_with_it():
    quiet, young = ServiceFactory(slug="quiet"), ServiceFactory(slug="young")
    write_history(young.id, days=2)  # reported for 2 of the 30 days fitted
    baselines_fit(now=NOW)
    keys, baseline, _ = baselines_load(at=NOW)
    level = {key.service_id: baseline.level[i] for i, key in enumerate(keys) if not key.dimension}
    assert level[quiet.id] < 0.05
    assert level[young.id] == pytest.approx(sum(MIX.values()), rel=0.3)  # not diluted by zeros


def test_the_pass_writes_each_services_status_and_sparkline(service):
    from outages.models import ServiceStatus

    run_minutes(NOW, 20, each=spike(service.id, size=60))
    status = ServiceStatus.objects.get(service=service)
    assert status.level >= 1
    assert status.recent >= 15 * 60
    assert status.deviation > 10
    assert len(status.sparkline) == 96
    assert status.sparkline[-2] >= 15 * 60  # the last full quarter, all spike
    assert status.sparkline_end == NOW + 15 * MINUTE


def test_a_quiet_services_status_row_is_not_rewritten_every_minute(service):
    from outages.models import ServiceStatus

    quiet = ServiceFactory(slug="silent")
    baselines_fit(now=NOW)
    run_minutes(NOW, 2)
    first = ServiceStatus.objects.get(service=quiet).minute
    run_minutes(NOW + 2 * MINUTE, 3)  # same quarter, nothing reported
    assert ServiceStatus.objects.get(service=quiet).minute == first
