"""Voiding a burst removes exactly its reports from every bucket and incident figure, retracts
an incident the burst alone raised, and undo gives everything back exactly.

Over 300 lines: the void, its undo and their effects on counts, incidents and audit.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from moderation.models import AuditEntry
from moderation.panel.bursts import Criteria, void_preview
from outages import figures
from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.incident_rules import Diversity
from outages.models import Incident, IncidentEvent, MinuteBucket, ServiceStatus
from outages.services.baselines import baselines_fit
from outages.services.buckets import BucketKey, bucket_increment
from outages.services.detection import detection_pass
from reports.bursts.services import BurstInvalid, burst_void, burst_void_undo
from reports.models import BurstVoid, Report
from reports.services import report_store_batch
from tests.factories import ServiceFactory, report_row

pytestmark = pytest.mark.django_db

HISTORY_END = datetime(2026, 11, 18, 19, 0, tzinfo=UTC)  # a Wednesday evening
WINDOW_START = HISTORY_END  # the last hour holds real reports
BURST_START = WINDOW_START + 20 * MINUTE
BURST_END = BURST_START + 15 * MINUTE
NOW = WINDOW_START + 60 * MINUTE
BRIGADE = "b" * 32  # the brigade's hashed network


def diverse(service_id: int, since: datetime, until: datetime) -> Diversity:
    return Diversity(
        reports=500, reporters=480, networks=400, top_network_share=0.01, top_origin_share=0.0
    )


@pytest.fixture
def moderator():  # type: ignore[no-untyped-def]
    return get_user_model().objects.create_user("mod", password="x")


@pytest.fixture
def service():  # type: ignore[no-untyped-def]
    """Seven days of about two reports a minute in the buckets, and its fitted baseline."""
    service = ServiceFactory(slug="chirp")
    rng = np.random.default_rng(3)
    start = HISTORY_END - timedelta(days=7)
    increments = {}
    for platform, country, rate in (("web", "US", 1.2), ("ios", "US", 0.5), ("web", "FR", 0.5)):
        counts = rng.poisson(rate, 7 * 1440)
        for i in np.flatnonzero(counts):
            key = BucketKey(
                service.id, start + int(i) * MINUTE, "problem", platform, "login", country
            )
            increments[key] = int(counts[i])
    with transaction.atomic():
        bucket_increment(increments=increments)
    baselines_fit(now=HISTORY_END)
    return service


def organic(service_id: int, *, per_minute: float, start: datetime, minutes: int, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(minutes):
        for _ in range(rng.poisson(per_minute)):
            platform, country = [("web", "US"), ("ios", "US"), ("web", "FR")][rng.integers(3)]
            rows.append(
                report_row(
                    service_id=service_id,
                    platform=platform,
                    country=country,
                    received_at=start + m * MINUTE + timedelta(seconds=float(rng.uniform(0, 59))),
                )
            )
    return rows


def brigade(service_id: int, *, per_minute: int, seed: int = 9):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    rows = []
    for m in range(int((BURST_END - BURST_START) // MINUTE)):
        for _ in range(per_minute):
            rows.append(
                report_row(
                    service_id=service_id,
                    network=BRIGADE,
                    platform=["web", "ios"][rng.integers(2)],
                    country=["US", "FR"][rng.integers(2)],
                    received_at=BURST_START
                    + m * MINUTE
                    + timedelta(seconds=float(rng.uniform(0, 59))),
                )
            )
    # One repeat within the dedupe window: stored, never counted, never voided.
    rows.append(
        report_row(
            service_id=service_id, network=BRIGADE, counted=False, received_at=BURST_START + MINUTE
        )
    )
    return rows


def detect(service_id: int) -> None:
    for i in range(60):
        minute = WINDOW_START + i * MINUTE
        detection_pass(now=minute + MINUTE + timedelta(seconds=5), diversity=diverse)


def buckets() -> dict[tuple, int]:
    return {
        (m.service_id, m.minute, m.kind, m.platform, m.problem, m.country): m.count
        for m in MinuteBucket.objects.filter(minute__gte=WINDOW_START)
    }


def voided_per_bucket(void: BurstVoid) -> Counter:
    return Counter(
        (r.service_id, floor_to_minute(r.received_at), r.kind, r.platform, r.problem, r.country)
        for r in Report.objects.filter(void=void)
    )


def summary(service_id: int) -> tuple[int, list[int]]:
    status = ServiceStatus.objects.get(service_id=service_id)
    return status.level, status.sparkline


def summary_from_buckets(service_id: int) -> list[int]:
    return figures.sparklines(service_ids=[service_id], until=figures.as_of(NOW))[service_id]


def void_brigade(service, moderator):  # type: ignore[no-untyped-def]
    return burst_void(
        service=service,
        kind="network",
        key=BRIGADE,
        start=BURST_START,
        end=BURST_END,
        actor=moderator,
        now=NOW,
    )


def test_a_burst_only_incident_is_voided_retracted_and_restored_exactly(service, moderator):  # type: ignore[no-untyped-def]
    report_store_batch(
        rows=organic(service.id, per_minute=2.2, start=WINDOW_START, minutes=60, seed=1)
    )
    report_store_batch(rows=brigade(service.id, per_minute=30))
    detect(service.id)
    incident = Incident.objects.get(service=service)
    assert incident.visibility == Incident.Visibility.PUBLIC
    announced = IncidentEvent.objects.filter(incident=incident).count()
    assert announced >= 1
    total_before = incident.total
    before = buckets()

    void = void_brigade(service, moderator)

    assert void.size == 15 * 30  # counted reports only: the uncounted repeat is not voided
    per_bucket = voided_per_bucket(void)
    after = buckets()
    assert set(after) == set(before)
    for key, count in before.items():
        assert after[key] == count - per_bucket.get(key, 0), key
    assert sum(per_bucket.values()) == void.size
    assert_buckets_match_raw_reports_excluding_voided()
    incident.refresh_from_db()
    assert incident.total == total_before - void.size
    assert incident.visibility == Incident.Visibility.RETRACTED
    events = IncidentEvent.objects.filter(incident=incident)
    assert events.count() == announced + 1
    assert events.filter(kind=IncidentEvent.Kind.RETRACT).count() == 1
    assert void.retracted and void.retracted[0]["id"] == incident.pk
    assert summary(service.id) == (0, summary_from_buckets(service.id))  # the home row, embed

    burst_void_undo(void=void, actor=moderator, now=NOW)

    assert buckets() == before
    incident.refresh_from_db()
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert summary(service.id) == (incident.level, summary_from_buckets(service.id))
    assert incident.total == total_before
    assert not Report.objects.filter(void__isnull=False).exists()
    assert_buckets_match_raw_reports_excluding_voided()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor__username"))
    assert actions == [("burst.void", "mod"), ("burst.undo", "mod")]
    undo = AuditEntry.objects.get(action="burst.undo")
    # Before the undo the incident was retracted; after it, public again.
    assert undo.before["incidents"][str(incident.pk)]["visibility"] == "retracted"
    assert undo.after["incidents"][str(incident.pk)]["visibility"] == "public"


def test_the_void_preview_tells_what_a_void_would_do_and_changes_nothing(service, moderator):  # type: ignore[no-untyped-def]
    report_store_batch(
        rows=organic(service.id, per_minute=2.2, start=WINDOW_START, minutes=60, seed=1)
    )
    report_store_batch(rows=brigade(service.id, per_minute=30))
    detect(service.id)
    incident = Incident.objects.get(service=service)
    before = buckets()
    criteria = Criteria(service, "network", BRIGADE, BURST_START, BURST_END)

    preview = void_preview(criteria, actor=moderator, now=NOW)

    assert (preview.reports, preview.error) == (15 * 30, "")
    assert [(row["id"], row["retracted"]) for row in preview.incidents] == [(incident.pk, True)]
    assert preview.incidents[0]["after"]["total"] == incident.total - 15 * 30
    assert buckets() == before
    assert not BurstVoid.objects.exists() and not AuditEntry.objects.exists()
    incident.refresh_from_db()
    assert incident.visibility == Incident.Visibility.PUBLIC

    burst_void(
        service=service,
        kind="network",
        key=BRIGADE,
        start=BURST_START,
        end=BURST_END,
        actor=moderator,
        now=NOW,
        reason="one office network",
    )
    assert AuditEntry.objects.get().after["reason"] == "one office network"
    assert void_preview(criteria, actor=moderator, now=NOW).error == "This burst is already voided."


def test_an_organic_incident_stands_and_only_its_figures_drop(service, moderator):  # type: ignore[no-untyped-def]
    report_store_batch(
        rows=organic(service.id, per_minute=2.2, start=WINDOW_START, minutes=20, seed=1)
    )
    # A real outage: many reporters, from the burst's start to the end of the hour.
    report_store_batch(
        rows=organic(service.id, per_minute=40, start=BURST_START, minutes=40, seed=2)
    )
    report_store_batch(rows=brigade(service.id, per_minute=10))
    detect(service.id)
    # The service's incident (an outage this strong may also lift a platform or a country).
    incident = Incident.objects.get(service=service, dimension="")
    total_before, peak_before = incident.total, incident.peak_count

    void = void_brigade(service, moderator)

    incident.refresh_from_db()
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert incident.total == total_before - void.size == total_before - 150
    assert incident.peak_count <= peak_before
    assert not void.retracted
    assert not IncidentEvent.objects.filter(kind=IncidentEvent.Kind.RETRACT).exists()

    burst_void_undo(void=void, actor=moderator, now=NOW)
    incident.refresh_from_db()
    assert (incident.total, incident.peak_count) == (total_before, peak_before)


def test_voiding_twice_and_undoing_twice_change_nothing_more(service, moderator):  # type: ignore[no-untyped-def]
    report_store_batch(
        rows=organic(service.id, per_minute=2, start=WINDOW_START, minutes=60, seed=4)
    )
    report_store_batch(rows=brigade(service.id, per_minute=5))
    original = buckets()
    first = void_brigade(service, moderator)
    voided = buckets()
    second = void_brigade(service, moderator)
    assert second.pk == first.pk
    assert buckets() == voided
    assert BurstVoid.objects.count() == 1
    burst_void_undo(void=first, actor=moderator, now=NOW)
    burst_void_undo(void=first, actor=moderator, now=NOW)
    assert buckets() == original
    assert AuditEntry.objects.count() == 2  # one void, one undo
    # Voided again after the undo: a new void, the same exact effect.
    third = void_brigade(service, moderator)
    assert third.pk != first.pk
    assert buckets() == voided


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "colour"}, "kind"),
        ({"key": ""}, "key"),
        ({"end": BURST_START}, "end"),
        ({"end": BURST_START + timedelta(days=3)}, "end"),
    ],
)
def test_bad_criteria_are_refused_naming_the_field_and_change_nothing(
    service, moderator, change, field
):  # type: ignore[no-untyped-def]
    report_store_batch(rows=brigade(service.id, per_minute=5))
    before = buckets()
    criteria = {
        "service": service,
        "kind": "network",
        "key": BRIGADE,
        "start": BURST_START,
        "end": BURST_END,
        **change,
    }
    with pytest.raises(BurstInvalid) as raised:
        burst_void(**criteria, actor=moderator, now=NOW)
    assert raised.value.field == field
    assert buckets() == before
    assert not BurstVoid.objects.exists()
    assert not AuditEntry.objects.exists()


def assert_buckets_match_raw_reports_excluding_voided() -> None:
    expected = Counter(
        (r.service_id, floor_to_minute(r.received_at), r.kind, r.platform, r.problem, r.country)
        for r in Report.objects.filter(
            counted=True, void__isnull=True, received_at__gte=WINDOW_START
        )
    )
    actual = {k: v for k, v in buckets().items() if v}
    assert actual == dict(expected)


def test_a_window_whose_buckets_were_purged_is_refused_and_nothing_changes(service, moderator):  # type: ignore[no-untyped-def]
    report_store_batch(rows=brigade(service.id, per_minute=5))
    MinuteBucket.objects.filter(minute__gte=BURST_START, minute__lt=BURST_START + MINUTE).delete()
    with pytest.raises(BurstInvalid) as raised:
        void_brigade(service, moderator)
    assert raised.value.field == "start"
    assert not Report.objects.filter(void__isnull=False).exists()
    assert not BurstVoid.objects.exists()
    assert not AuditEntry.objects.exists()
