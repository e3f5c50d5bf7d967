"""Public HTML pages (function views). They read through selectors and draw through charts."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from outages import charts, selectors
from outages.models import Service
from reports.forms import report_form_context


def home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    counts = selectors.service_recent_counts(since=now - timedelta(hours=1))
    services = sorted(selectors.services_active(), key=lambda s: -counts.get(s.id, 0))
    rows = [(service, counts.get(service.id, 0)) for service in services]
    return render(request, "outages/home.html", {"rows": rows})


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(Service, slug=slug, is_active=True)
    series = selectors.series_for_chart(
        service_id=service.id, end=timezone.now(), span=timedelta(hours=24)
    )
    figure = charts.spike_chart(series, title=f"{service.name}: reports in the last 24 hours")
    context = {
        "service": service,
        "figure": figure,
        "last_hour": sum(count for _, count in series[-60:]),
        **report_form_context(request, service),
    }
    return render(request, "outages/service.html", context)
