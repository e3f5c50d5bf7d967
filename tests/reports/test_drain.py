"""The bucketing consumer: every report in the stream is counted exactly once, whatever
redelivery, crash or concurrency happens (docs/design.md, invariant 1)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.db import connection

from outages.models import MinuteBucket
from reports.models import Report
from reports.rows import encode
from reports.services import report_drain, report_store_batch
from tests.conftest import drain_all
from tests.factories import ServiceFactory, report_row
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total

pytestmark = pytest.mark.services
T0 = datetime(2022, 12, 29, 0, 7, tzinfo=UTC)


def _fill_stream(client, rows):
    pipe = client.pipeline(transaction=False)
    for row in rows:
        pipe.xadd(settings.INTAKE_STREAM, {"r": encode(row), "c": "1" if row.counted else "0"})
    pipe.execute()


def _rows(service_id, n):
    return [
        report_row(service_id=service_id, received_at=T0 + timedelta(seconds=i % 600))
        for i in range(n)
    ]


@pytest.mark.django_db
def test_storing_the_same_batch_twice_changes_nothing():
    service = ServiceFactory()
    rows = _rows(service.id, 300)

    assert report_store_batch(rows=rows) == 300
    assert report_store_batch(rows=rows) == 0

    assert Report.objects.count() == 300
    assert bucket_total() == 300
    assert_buckets_match_raw_reports()


@pytest.mark.django_db
def test_a_repeat_report_is_stored_but_not_counted():
    service = ServiceFactory()
    row = report_row(service_id=service.id, received_at=T0, counted=False)

    report_store_batch(rows=[row])

    assert Report.objects.get().counted is False
    assert not MinuteBucket.objects.exists()


@pytest.mark.django_db
def test_the_drain_moves_the_stream_into_buckets_and_empties_it(redis_client):
    service = ServiceFactory()
    _fill_stream(redis_client, _rows(service.id, 1200))

    assert drain_all(redis_client) == 1200

    assert redis_client.xlen(settings.INTAKE_STREAM) == 0
    assert bucket_total() == 1200
    assert_buckets_match_raw_reports()


@pytest.mark.django_db
@pytest.mark.parametrize("crash_after_commit", [False, True])
def test_a_crashed_consumers_batch_is_claimed_and_counted_once(redis_client, crash_after_commit):
    service = ServiceFactory()
    _fill_stream(redis_client, _rows(service.id, 400))
    drain_all(redis_client, consumer="setup")  # creates the group; stream now empty
    rows = _rows(service.id, 400)
    _fill_stream(redis_client, rows)
    # Consumer A reads a batch, then "dies": before storing it, or after the commit but
    # before XACK. Either way its entries stay pending.
    read = redis_client.xreadgroup(
        settings.INTAKE_STREAM_GROUP, "doomed", {settings.INTAKE_STREAM: ">"}, count=400
    )
    assert len(read[0][1]) == 400
    if crash_after_commit:
        report_store_batch(rows=rows)

    moved = drain_all(redis_client, consumer="survivor", claim_idle_ms=0)

    assert moved == 400
    assert (
        redis_client.xpending(settings.INTAKE_STREAM, settings.INTAKE_STREAM_GROUP)["pending"] == 0
    )
    assert bucket_total() == 800
    assert_buckets_match_raw_reports()


@pytest.mark.django_db(transaction=True)
def test_two_consumers_at_once_stay_exact(redis_client):
    service = ServiceFactory()
    _fill_stream(redis_client, _rows(service.id, 6000))
    errors: list[BaseException] = []

    def consume(name: str) -> None:
        try:
            report_drain(
                redis=redis_client,
                stream=settings.INTAKE_STREAM,
                group=settings.INTAKE_STREAM_GROUP,
                consumer=name,
                batch_size=100,
                budget_seconds=0,
                claim_idle_ms=60_000,
            )
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=consume, args=(f"c{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Report.objects.count() == 6000
    assert bucket_total() == 6000
    assert_buckets_match_raw_reports()


@pytest.mark.django_db(transaction=True)
def test_an_entry_that_cannot_be_stored_is_dead_lettered_and_the_rest_counted(redis_client):
    service = ServiceFactory()
    rows = _rows(service.id, 50)
    orphan = report_row(service_id=service.id + 1000, received_at=T0)  # no such service
    _fill_stream(redis_client, [*rows[:25], orphan, *rows[25:]])
    redis_client.xadd(settings.INTAKE_STREAM, {"r": "not json", "c": "1"})

    assert drain_all(redis_client) == 50

    assert Report.objects.count() == 50
    assert_buckets_match_raw_reports()
    dead = redis_client.xrange(f"{settings.INTAKE_STREAM}:dead")
    assert len(dead) == 2
    assert redis_client.xlen(settings.INTAKE_STREAM) == 0


def test_idle_consumers_with_nothing_pending_are_pruned(redis_client):
    from reports.services import stream_consumers_prune

    stream, group = settings.INTAKE_STREAM, settings.INTAKE_STREAM_GROUP
    redis_client.xgroup_create(stream, group, id="0", mkstream=True)
    redis_client.xadd(stream, {"r": "x", "c": "1"})
    redis_client.xreadgroup(group, "busy", {stream: ">"})  # holds a pending entry
    redis_client.xgroup_createconsumer(stream, group, "idle")

    assert stream_consumers_prune(redis=redis_client, stream=stream, group=group, idle_ms=0) == 1
    names = {c["name"] for c in redis_client.xinfo_consumers(stream, group)}
    assert names == {b"busy"}
