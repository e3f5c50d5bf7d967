"""The burst list read from the database: the same bursts and keys on PostgreSQL (hashed,
packed) and on SQLite (plain), voided reports left out, voids listed with their undo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outages.detection.timebuckets import MINUTE, floor_to_minute
from reports.bursts.selectors import bursts_suspicious, report_arrays
from reports.bursts.services import burst_void
from reports.services import report_store_batch
from tests.factories import ServiceFactory, report_row

pytestmark = pytest.mark.django_db
ORIGIN = "https://news.example/live-blog"
AGENT = "a" * 32


@pytest.fixture
def period():  # type: ignore[no-untyped-def]
    now = floor_to_minute(timezone.now())
    return now - timedelta(hours=3), now


def test_origin_and_agent_bursts_are_listed_with_their_keys(period):
    since, until = period
    first, second = ServiceFactory(), ServiceFactory()
    start = since + 60 * MINUTE
    rows = []
    for service in (first, second):
        rows += [
            report_row(service_id=service.id, received_at=since + i * MINUTE, agent=f"{i % 7:032x}")
            for i in range(150)
        ]
    rows += [
        report_row(service_id=first.id, origin=ORIGIN, received_at=start + i % 12 * MINUTE)
        for i in range(30)
    ]
    rows += [
        report_row(
            service_id=second.id,
            agent=AGENT,
            platform="android",
            received_at=start + i % 8 * MINUTE,
        )
        for i in range(25)
    ]
    report_store_batch(rows=rows)

    listed = bursts_suspicious(since=since, until=until)

    found = {(b.service.pk, b.kind, b.key, b.size) for b in listed}
    assert found == {(first.pk, "origin", ORIGIN, 30), (second.pk, "agent", AGENT, 25)}
    origin = next(b for b in listed if b.kind == "origin")
    assert origin.start == start and origin.end == start + 12 * MINUTE
    assert origin.total == 30 + 12
    assert round(origin.share, 3) == round(30 / 42, 3)


def test_voided_reports_leave_the_arrays_and_the_void_is_listed(period):
    since, until = period
    service = ServiceFactory()
    start = since + 30 * MINUTE
    report_store_batch(
        rows=[
            report_row(service_id=service.id, network="c" * 32, received_at=start + i % 5 * MINUTE)
            for i in range(40)
        ]
    )
    before = len(report_arrays(since=since, until=until).service)
    void = burst_void(
        service=service,
        kind="network",
        key="c" * 32,
        start=start,
        end=start + 5 * MINUTE,
        actor=None,
    )
    assert len(report_arrays(since=since, until=until).service) == before - 40
    listed = bursts_suspicious(since=since, until=until)
    assert [(b.void, b.size, b.share) for b in listed] == [(void, 40, 1.0)]
