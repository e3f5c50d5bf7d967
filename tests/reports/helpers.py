from __future__ import annotations

import json
from typing import Any

from django.test import Client

from outages.models import MinuteBucket
from reports.models import Report


def post_report(
    client: Client,
    slug: str,
    body: Any,
    *,
    raw: bool = False,
    address: str = "203.0.113.7",
    **headers: str,
) -> Any:
    """POST a report as JSON (or `body` as is, with raw=True)."""
    payload = body if raw else json.dumps(body)
    return client.post(
        f"/api/v1/services/{slug}/reports",
        payload,
        content_type=headers.pop("content_type", "application/json"),
        REMOTE_ADDR=address,
        **headers,
    )


def bucket_total(**filters: Any) -> int:
    return sum(MinuteBucket.objects.filter(**filters).values_list("count", flat=True))


def assert_buckets_match_raw_reports() -> None:
    """Every bucket equals the number of counted, unvoided raw reports with its key."""
    from collections import Counter

    from outages.detection.timebuckets import floor_to_minute

    raw = Counter(
        (r.service_id, floor_to_minute(r.received_at), r.kind, r.platform, r.problem, r.country)
        for r in Report.objects.filter(counted=True, void__isnull=True)
    )
    buckets = {
        (b.service_id, b.minute, b.kind, b.platform, b.problem, b.country): b.count
        for b in MinuteBucket.objects.all()
    }
    assert buckets == dict(raw)
