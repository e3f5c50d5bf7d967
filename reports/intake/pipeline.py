"""Intake as an ordered list of named steps: resolve the service, validate, fingerprint, then
the buffer's rate-limit, dedupe and store. Each rejection carries a RejectReason and is counted."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from django.conf import settings
from django.db import DatabaseError
from prometheus_client import Counter

from common import metrics
from outages.models import Service
from outages.vocabulary import Source
from reports.intake.buffer import (
    BufferUnavailable,
    BufferVerdict,
    Outcome,
    fallback_buffer,
    primary_buffer,
)
from reports.intake.errors import Rejected, RejectReason
from reports.intake.fingerprint import fingerprints_for, reporter_before_midnight
from reports.intake.request import ReportRequest, parse_report
from reports.rows import ReportRow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Client:
    """What intake may know of the sender. The address is only ever hashed."""

    address: str
    user_agent: str
    default_country: str = ""
    origin: str = ""


@dataclass(frozen=True)
class Accepted:
    request: ReportRequest
    counted: bool


def report_intake(
    *,
    data: object,
    service_slug: str,
    source: Source,
    client: Client,
    now: datetime,
    retry_after: int = 5,
) -> Accepted:
    """Run every step; return Accepted or raise Rejected (nothing stored then)."""
    try:
        service_id, category = _resolve_service(service_slug)
        request = parse_report(
            data,
            service_slug=service_slug,
            source=source,
            category=category,
            default_country=client.default_country,
            origin=client.origin,
        )
        fingerprints = fingerprints_for(
            address=client.address, user_agent=client.user_agent, now=now
        )
        row = ReportRow(
            id=request.id,
            service_id=service_id,
            kind=request.kind,
            platform=request.platform,
            problem=request.problem,
            country=request.country,
            subdivision=request.subdivision,
            source=request.source,
            origin=request.origin,
            received_at=now,
            fingerprint=fingerprints.reporter,
            network=fingerprints.network,
            agent=fingerprints.agent,
        )
        earlier = reporter_before_midnight(
            address=client.address,
            user_agent=client.user_agent,
            now=now,
            window=settings.INTAKE_DEDUPE_WINDOW,
        )
        outcome = _buffer(row, now=now, earlier=earlier)
    except DatabaseError as error:
        logger.error("Intake unavailable: %s", error.__class__.__name__)
        rejection = Rejected(
            RejectReason.UNAVAILABLE,
            "Reports cannot be stored right now; retry with the same id.",
            retry_after=retry_after,
        )
        metrics.intake_rejected.labels(rejection.reason).inc()
        raise rejection from error
    except Rejected as rejection:
        metrics.intake_rejected.labels(rejection.reason).inc()
        raise
    accepted = _verdict(outcome, request)
    _accepted_counter("counted" if accepted.counted else "already_counted", source).inc()
    return accepted


@cache
def _accepted_counter(status: str, source: str) -> Counter:
    """The labelled counter, looked up once per process instead of once per report."""
    return metrics.intake_accepted.labels(status, source)


def _buffer(row: ReportRow, *, now: datetime, earlier: str | None) -> Outcome:
    try:
        return primary_buffer().admit(row, now=now, earlier=earlier)
    except BufferUnavailable:
        # Redis is down: the same rules and the same idempotent insert, straight to the database.
        metrics.intake_fallbacks.inc()
        return fallback_buffer().admit(row, now=now, earlier=earlier)


def _verdict(outcome: Outcome, request: ReportRequest) -> Accepted:
    if outcome.verdict is BufferVerdict.CONFLICT:
        rejection = Rejected(
            RejectReason.ID_CONFLICT,
            f"Report {request.id} was already received with different content.",
        )
    elif outcome.verdict is BufferVerdict.LIMITED:
        rejection = Rejected(
            RejectReason.RATE_LIMITED,
            "Too many reports from your network; try again later.",
            retry_after=outcome.retry_after,
        )
    else:
        return Accepted(request=request, counted=outcome.counted)
    metrics.intake_rejected.labels(rejection.reason).inc()
    raise rejection


_services: dict[str, tuple[int, str]] = {}
_services_loaded_at = 0.0
_SERVICES_TTL = 60.0
_SERVICES_MISS_TTL = 5.0


def _resolve_service(slug: str) -> tuple[int, str]:
    """Slug to id and category (which decides the problem types) from a per-process map,
    reloaded every minute (and on a miss, at most every few seconds), so intake does not query
    the database per report."""
    global _services, _services_loaded_at
    age = time.monotonic() - _services_loaded_at
    if age > _SERVICES_TTL or (slug not in _services and age > _SERVICES_MISS_TTL):
        active = Service.objects.filter(is_active=True).values_list("slug", "id", "category")
        _services = {slug: (service_id, category) for slug, service_id, category in active}
        _services_loaded_at = time.monotonic()
    try:
        return _services[slug]
    except KeyError:
        raise Rejected(RejectReason.UNKNOWN_SERVICE, f"No active service '{slug[:80]}'.") from None


def services_forget() -> None:
    """Drop the slug map (tests, and after a service is added or deactivated)."""
    global _services_loaded_at
    _services_loaded_at = 0.0
