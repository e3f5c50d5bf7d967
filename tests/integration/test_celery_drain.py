"""The drain path with real Celery worker processes, killed with SIGKILL mid-batch."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from reports.models import Report
from tests.factories import ServiceFactory, report_row
from tests.integration.workers import kill_hard, start_worker, stop, wait_until, worker_env
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total
from tests.reports.test_drain import _fill_stream

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
T0 = datetime(2022, 12, 29, 0, 7, tzinfo=UTC)
STREAM, GROUP = settings.INTAKE_STREAM, settings.INTAKE_STREAM_GROUP


def _consumers_pending(client) -> list[str]:
    """The group's consumers holding entries they read but never acknowledged."""
    try:
        consumers = client.xinfo_consumers(STREAM, GROUP)
    except Exception:  # the group does not exist yet
        return []
    return [c["name"] for c in consumers if c["pending"] > 0]


def _drained(client) -> bool:
    """Nothing left in the stream, and nothing read but unacknowledged."""
    return client.xlen(STREAM) == 0 and not _consumers_pending(client)


def test_a_worker_drains_reports_into_buckets(redis_client, tmp_path):
    service = ServiceFactory()
    _fill_stream(
        redis_client, [report_row(service_id=service.id, received_at=T0) for _ in range(500)]
    )
    worker = start_worker(worker_env(tmp_path))
    try:
        assert wait_until(lambda: redis_client.xlen(STREAM) == 0, timeout=60)
        assert wait_until(lambda: Report.objects.count() == 500, timeout=10)
    finally:
        stop(worker)
    assert bucket_total() == 500
    assert_buckets_match_raw_reports()


@pytest.mark.fault
def test_killing_workers_mid_batch_never_loses_or_double_counts(redis_client, tmp_path):
    service = ServiceFactory()
    total = 30_000
    rows = [
        report_row(
            service_id=service.id,
            received_at=T0 + timedelta(seconds=i % 3600),
            country=random.choice(["US", "JP", "GB", "FR"]),
        )
        for i in range(total)
    ]
    _fill_stream(redis_client, rows)
    # Small batches and a short claim delay: many batches in flight to be killed, and a
    # restarted worker (a new consumer) claims the dead one's entries quickly.
    env = worker_env(
        tmp_path, DRAIN_BATCH_SIZE="50", DRAIN_CLAIM_IDLE_MS="300", DRAIN_BUDGET_SECONDS="2"
    )
    kills_mid_batch = 0
    for _ in range(12):
        seen = set(_consumers_pending(redis_client))
        worker = start_worker(env)
        try:
            # Wait for this worker's consumer to hold a batch it has read but not acknowledged,
            # then let it run a random moment longer, so the kills land at different points.
            assert wait_until(
                lambda s=seen: any(n not in s for n in _consumers_pending(redis_client)), timeout=60
            )
            time.sleep(random.uniform(0.0, 0.3))
        finally:
            kill_hard(worker)
        # Counted after the kill: a dead consumer cannot acknowledge any more.
        kills_mid_batch += any(n not in seen for n in _consumers_pending(redis_client))
        if kills_mid_batch >= 4 or _drained(redis_client):
            break
    assert kills_mid_batch >= 3, "the test never caught a batch in flight"

    worker = start_worker(env)
    try:
        assert wait_until(lambda: _drained(redis_client), timeout=120)
    finally:
        stop(worker)

    assert redis_client.xlen(f"{STREAM}:dead") == 0, "a good report was set aside as unstorable"
    assert Report.objects.count() == total
    assert bucket_total() == total
    assert_buckets_match_raw_reports()
