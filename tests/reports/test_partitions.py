"""Raw reports partitioned by UTC day (PostgreSQL): the partitions exist ahead, a report of a
day nobody prepared still lands, retention drops whole days and keeps the buckets, and an id
is counted once even when it comes back with another received_at (reports.ReportIdLedger)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from reports.models import Report, ReportIdLedger
from reports.partitions import partition_name, partitions_list
from reports.retention import report_storage_upkeep, reports_purge
from reports.rows import encode
from reports.services import report_store_batch
from tests.conftest import drain_all
from tests.factories import ServiceFactory, report_row
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total

# Partitions are PostgreSQL's: these run with the services (make test-postgres), deselected on
# the embedded default rather than skipped.
postgres_only = pytest.mark.services
ONE_DAY = timedelta(days=1)


def partition_of(report_id: uuid.UUID) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM reports_report WHERE id = %s", [report_id]
        )
        return str(cursor.fetchone()[0])


@postgres_only
@pytest.mark.django_db
def test_the_table_is_partitioned_by_day_with_yesterday_today_and_a_week_ahead():
    today = timezone.now().date()
    days = partitions_list()

    # Made by the migration on the day the test database was: today, or yesterday for a run
    # that crossed midnight UTC (the daily upkeep, tested below, moves the week ahead on).
    made = [{day + timedelta(days=n) for n in range(-1, 8)} for day in (today, today - ONE_DAY)]
    assert any(expected <= set(days) for expected in made)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
            " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indrelid = 'reports_report'::regclass AND i.indisprimary ORDER BY a.attname"
        )
        assert [name for (name,) in cursor.fetchall()] == ["id", "received_at"]
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'reports_report'")
        assert cursor.fetchone()[0] == "p"


@postgres_only
@pytest.mark.django_db
def test_a_report_of_a_day_without_a_partition_lands_in_a_new_one():
    service = ServiceFactory()
    far = timezone.now() + timedelta(days=40)
    assert far.date() not in partitions_list()
    row = report_row(service_id=service.id, received_at=far)

    assert report_store_batch(rows=[row]) == 1

    assert partition_of(row.id) == partition_name(far.date())
    assert bucket_total() == 1


@postgres_only
@pytest.mark.services
@pytest.mark.django_db
def test_the_drain_stores_reports_of_days_without_a_partition(redis_client):
    service = ServiceFactory()
    start = datetime(2031, 3, 4, 23, 59, 30, tzinfo=UTC)  # across a midnight, far ahead
    rows = [
        report_row(service_id=service.id, received_at=start + timedelta(seconds=i))
        for i in range(60)
    ]
    pipe = redis_client.pipeline(transaction=False)
    for row in rows:
        pipe.xadd(settings.INTAKE_STREAM, {"r": encode(row), "c": "1"})
    pipe.execute()

    assert drain_all(redis_client) == 60

    assert partition_of(rows[0].id) == "reports_report_p20310304"
    assert partition_of(rows[-1].id) == "reports_report_p20310305"
    assert bucket_total() == 60
    assert redis_client.xlen(f"{settings.INTAKE_STREAM}:dead") == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_retention_drops_the_partitions_of_whole_old_days_and_keeps_the_buckets():
    service = ServiceFactory()
    now = timezone.now()
    for age, n in ((40, 3), (31, 2), (29, 4), (0, 1)):
        at = now - timedelta(days=age)
        report_store_batch(
            rows=[report_row(service_id=service.id, received_at=at) for _ in range(n)]
        )
    before = bucket_total()

    # Outside a transaction: the detach is CONCURRENTLY.
    assert reports_purge(now=now, days=30) == 5

    days = partitions_list()
    assert (now - timedelta(days=40)).date() not in days
    assert (now - timedelta(days=31)).date() not in days
    assert (now - timedelta(days=29)).date() in days
    assert Report.objects.count() == 5
    assert bucket_total() == before == 10
    with connection.cursor() as cursor:  # dropped, not only detached
        cursor.execute(
            "SELECT to_regclass(%s)", [partition_name((now - timedelta(days=40)).date())]
        )
        assert cursor.fetchone()[0] is None


@pytest.mark.django_db
def test_an_id_stored_again_with_another_received_at_is_counted_once():
    """A retry taken by the database fallback (a new received_at) while the first attempt was
    still in the stream: whichever comes second adds nothing."""
    service = ServiceFactory()
    first = report_row(service_id=service.id, received_at=timezone.now() - timedelta(hours=23))
    retry = report_row(id=first.id, service_id=service.id, received_at=timezone.now())

    assert report_store_batch(rows=[retry]) == 1
    assert report_store_batch(rows=[first]) == 0

    assert Report.objects.filter(id=first.id).count() == 1
    assert bucket_total() == 1
    assert_buckets_match_raw_reports()


@pytest.mark.services
@pytest.mark.django_db
def test_the_drain_skips_an_id_the_fallback_stored_with_another_time(redis_client):
    service = ServiceFactory()
    first = report_row(service_id=service.id, received_at=timezone.now() - timedelta(days=1))
    retry = report_row(id=first.id, service_id=service.id, received_at=timezone.now())
    report_store_batch(rows=[retry])
    redis_client.xadd(settings.INTAKE_STREAM, {"r": encode(first), "c": "1"})

    assert drain_all(redis_client) == 1  # moved out of the stream...

    assert Report.objects.filter(id=first.id).count() == 1  # ...but stored once
    assert bucket_total() == 1
    assert_buckets_match_raw_reports()


@pytest.mark.django_db
def test_the_upkeep_prepares_the_days_ahead_and_forgets_old_ids():
    service = ServiceFactory()
    now = timezone.now()
    old = report_row(service_id=service.id, received_at=now - timedelta(hours=80))
    recent = report_row(service_id=service.id, received_at=now - timedelta(hours=1))
    report_store_batch(rows=[old, recent])

    upkeep = report_storage_upkeep(now=now + timedelta(days=9), ledger_hours=72 + 9 * 24)

    assert upkeep.ids_forgotten == 1
    assert list(ReportIdLedger.objects.values_list("id", flat=True)) == [recent.id]
    if connection.vendor == "postgresql":
        assert (now + timedelta(days=16)).date() in partitions_list()
        assert upkeep.partitions_created >= 2


@pytest.fixture
def before_partitions(transactional_db):
    """The database as it was before migration 0007; migrated to the latest state afterwards."""
    executor = MigrationExecutor(connection)
    executor.migrate([("reports", "0006_problem_types_per_category")])
    executor.loader.build_graph()
    yield executor
    call_command("migrate", verbosity=0)


def test_the_migration_keeps_every_stored_report_and_remembers_the_recent_ids(
    before_partitions,
):
    apps = before_partitions.loader.project_state(
        [("reports", "0006_problem_types_per_category")]
    ).apps
    service = apps.get_model("outages", "Service").objects.create(slug="x", name="X")
    report = apps.get_model("reports", "Report")
    now = timezone.now()
    ages = [timedelta(days=20), timedelta(days=2), timedelta(minutes=5)]
    for age in ages:
        report.objects.create(
            service=service,
            kind="problem",
            platform="web",
            problem="login",
            source="api",
            received_at=now - age,
            fingerprint="f",
            network="n",
        )
    stored = set(report.objects.values_list("id", "received_at"))

    before_partitions.migrate([("reports", "0007_reports_partitioned_by_day")])

    assert set(Report.objects.values_list("id", "received_at")) == stored
    recent = {id for id, at in stored if at > now - timedelta(hours=72)}
    assert set(ReportIdLedger.objects.values_list("id", flat=True)) == recent
    if connection.vendor == "postgresql":
        assert (now - timedelta(days=20)).date() in partitions_list()
        oldest = min(stored, key=lambda pair: pair[1])[0]
        assert partition_of(oldest) == partition_name((now - timedelta(days=20)).date())
