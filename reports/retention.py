"""Raw report retention: a report is deleted some days after it was received. Its minute
bucket stays: every stored report was added to its bucket in the transaction that stored it
(reports.services.report_store_batch and the stream's one-statement insert), so the counts,
charts and incident figures do not change when the raw rows go.

On PostgreSQL the reports are partitioned by UTC day (reports/partitions.py): a day goes as a
whole, its partition detached and dropped once the entire day is older than the cutoff, so a
report is kept between `days` and `days + 1` days, and nothing is deleted row by row (no
vacuum debt, no bloat). The embedded SQLite deletes the rows, in batches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection

from common.bulk import adapt
from outages.models import Service
from reports.models import Report, ReportIdLedger
from reports.partitions import partitioned, partitions_ahead, partitions_drop_before

BATCH = 5000


def reports_purge(*, now: datetime, days: int) -> int:
    """Delete the raw reports received more than `days` days before `now` (on PostgreSQL, the
    whole days before the cutoff's day). Returns how many."""
    if days < 1:
        raise ValueError(f"Report retention must be at least 1 day, not {days}.")
    cutoff = now - timedelta(days=days)
    if partitioned():
        return partitions_drop_before(day=cutoff.date())
    return reports_delete_before(cutoff=cutoff)


def reports_delete_before(*, cutoff: datetime) -> int:
    """Delete reports received before `cutoff` row by row, service by service in batches
    (short transactions, the (service, received_at) index). Returns how many."""
    deleted = 0
    for service_id in Service.objects.values_list("pk", flat=True).iterator():
        old = Report.objects.filter(service_id=service_id, received_at__lt=cutoff)
        while ids := list(old.values_list("pk", flat=True)[:BATCH]):
            deleted += Report.objects.filter(pk__in=ids).delete()[0]
    return deleted


def report_ids_forget(*, now: datetime, hours: int) -> int:
    """Forget the ledger's ids of reports received more than `hours` hours ago, in batches of
    one statement each (the received_at index); returns how many. A retry of such an id would
    be counted again: keep `hours` above the idempotency window of intake plus the longest
    drain backlog."""
    table = ReportIdLedger._meta.db_table
    sql = (
        f"DELETE FROM {table} WHERE id IN"  # noqa: S608
        f" (SELECT id FROM {table} WHERE received_at < %s LIMIT {BATCH})"
    )
    before = adapt(now - timedelta(hours=hours))
    forgotten = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [before])
            deleted: int = cursor.rowcount
            forgotten += deleted
            if deleted < BATCH:
                return forgotten


@dataclass(frozen=True)
class Upkeep:
    partitions_created: int
    ids_forgotten: int


def report_storage_upkeep(*, now: datetime, ledger_hours: int) -> Upkeep:
    """The hourly upkeep of raw report storage: the day partitions of yesterday, today and the
    days ahead exist (PostgreSQL), and the id ledger forgets what it no longer needs."""
    created = partitions_ahead(today=now.date())
    return Upkeep(len(created), report_ids_forget(now=now, hours=ledger_hours))
