"""The service chart's data as a download: problem reports per interval with the baseline's
expected count and typical band, as CSV or JSON (/s/<slug>/series.csv, .json).

Function views, thin, like the badges: each is an edge read (outages/edge.py) that changes with
the minute, cacheable by anyone for a minute and readable from any origin.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from outages import selectors
from outages.edge import cacheable_anywhere, edge_read
from outages.status_cache import StatusSummary, status_summary

SERIES_COLUMNS = ("time", "reports", "expected", "lower", "upper", "partial")


def _series_rows(
    request: HttpRequest, slug: str
) -> tuple[StatusSummary, str, list[dict[str, object]]]:
    service = status_summary(slug=slug)
    if service is None:
        raise Http404
    range_name = request.GET.get("range", "24h")
    series = selectors.series_with_band(
        service_id=service.service_id, end=timezone.now(), range_name=range_name
    )
    rows: list[dict[str, object]] = [
        dict(zip(SERIES_COLUMNS, (_iso(t), *values), strict=True)) for t, *values in series.points()
    ]
    return service, range_name, rows


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bad_range(request: HttpRequest) -> HttpResponse | None:
    if request.GET.get("range", "24h") in selectors.RANGES:
        return None
    return HttpResponseBadRequest(
        f"Unknown range; one of: {', '.join(selectors.RANGES)}", content_type="text/plain"
    )


@edge_read(per_minute=True)
@require_safe
def series_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Problem reports per interval over the range (zero-filled, the last one partial), with
    the baseline's expected count and typical band."""
    if bad := _bad_range(request):
        return bad
    service, range_name, rows = _series_rows(request, slug)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=SERIES_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({**row, "partial": str(row["partial"]).lower()} for row in rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{service.slug}-{range_name}-problem-reports.csv"'
    )
    return cacheable_anywhere(request, response)


@edge_read(per_minute=True)
@require_safe
def series_json(request: HttpRequest, slug: str) -> HttpResponse:
    if bad := _bad_range(request):
        return bad
    service, range_name, rows = _series_rows(request, slug)
    resolution = selectors.RANGES[range_name][1]
    payload = {
        "service": service.slug,
        "range": range_name,
        "resolution_seconds": int(resolution.total_seconds()),
        "columns": list(SERIES_COLUMNS),
        "points": rows,
    }
    return cacheable_anywhere(request, JsonResponse(payload))
