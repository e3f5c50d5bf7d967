"""Raw report retention: a report is deleted some days after it was received. Its minute
bucket stays: every stored report was added to its bucket in the transaction that stored it
(reports.services.report_store_batch and the stream's one-statement insert), so the counts,
charts and incident figures do not change when the raw rows go."""

from __future__ import annotations

from datetime import datetime, timedelta

from outages.models import Service
from reports.models import Report

BATCH = 5000


def reports_purge(*, now: datetime, days: int) -> int:
    """Delete the raw reports received more than `days` days before `now`, service by service
    in batches (short transactions, the (service, received_at) index). Returns how many."""
    if days < 1:
        raise ValueError(f"Report retention must be at least 1 day, not {days}.")
    cutoff = now - timedelta(days=days)
    deleted = 0
    for service_id in Service.objects.values_list("pk", flat=True).iterator():
        old = Report.objects.filter(service_id=service_id, received_at__lt=cutoff)
        while ids := list(old.values_list("pk", flat=True)[:BATCH]):
            deleted += Report.objects.filter(pk__in=ids).delete()[0]
    return deleted
