"""Prometheus metrics of the product, and the /metrics, /healthz and /readyz views.

With PROMETHEUS_MULTIPROC_DIR set (gunicorn and Celery, see config/embedded.conf and compose),
every process writes its counters there and /metrics adds them up.
"""

from __future__ import annotations

import os

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)

intake_accepted = Counter(
    "outages_intake_accepted", "Reports accepted by intake", ["status", "source"]
)
intake_rejected = Counter("outages_intake_rejected", "Reports turned away, by reason", ["reason"])
intake_fallbacks = Counter(
    "outages_intake_buffer_fallbacks", "Reports written to the database because Redis was down"
)
drain_stored = Counter("outages_drain_reports", "Stream entries stored by the bucketing consumer")
cache_unavailable = Counter(
    "outages_cache_unavailable", "Cache calls answered as misses because Redis was unreachable"
)
page_renders = Counter(
    "outages_page_renders", "Shared public pages rendered (the page cache's misses)"
)
drain_dead = Counter("outages_drain_dead_letters", "Stream entries set aside as unstorable")


def metrics_view(request: HttpRequest) -> HttpResponse:
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # (unannotated)
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers (liveness)."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> HttpResponse:
    """Readiness: 503 only when the database does not answer. Redis (when it buffers intake) is
    checked and named, but without it the host still serves: intake falls back to the
    database and the cache reads as empty, so a Redis outage must not take every host out of
    the balancer. It answers 200 with status "degraded" then."""
    from django.conf import settings

    checks: dict[str, str] = {}
    try:
        connection.ensure_connection()
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready
        checks["database"] = error.__class__.__name__
    if settings.INTAKE_BUFFER == "redis":
        from reports.intake.buffer import redis_client

        try:
            redis_client().ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = error.__class__.__name__
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", **checks}, status=503)
    degraded = any(value != "ok" for value in checks.values())
    return JsonResponse({"status": "degraded" if degraded else "ok", **checks})
