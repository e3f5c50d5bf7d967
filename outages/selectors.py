"""Read side: what the pages, the API and the charts ask of services and buckets."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Sum
from django.db.models.functions import Coalesce

from outages.detection.timebuckets import MINUTE, floor_to_minute, zero_fill
from outages.models import MinuteBucket, Service
from outages.vocabulary import Kind


def services_active() -> list[Service]:
    return list(Service.objects.filter(is_active=True))


def service_recent_counts(*, since: datetime) -> dict[int, int]:
    """Problem reports per service since a moment, one query for all services."""
    rows = (
        MinuteBucket.objects.filter(minute__gte=floor_to_minute(since), kind=Kind.PROBLEM)
        .values("service_id")
        .annotate(total=Coalesce(Sum("count"), 0))
    )
    return {row["service_id"]: row["total"] for row in rows}


def series_for_chart(
    *, service_id: int, kind: str = Kind.PROBLEM, end: datetime, span: timedelta
) -> list[tuple[datetime, int]]:
    """Reports per minute over [end - span, end), zero-filled; the last minute is partial."""
    end = floor_to_minute(end) + MINUTE
    start = end - span
    rows = (
        MinuteBucket.objects.filter(
            service_id=service_id, kind=kind, minute__gte=start, minute__lt=end
        )
        .values("minute")
        .annotate(total=Sum("count"))
    )
    return zero_fill({row["minute"]: row["total"] for row in rows}, start, end)
