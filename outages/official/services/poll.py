"""The poller: claim due sources, fetch them (conditional GETs through the SSRF guard, on a
thread pool), read the payloads and record each outcome.

A source is claimed by a conditional UPDATE that moves its `next_poll_at` one interval on
(compare-and-set on the value read), so any number of workers fetch it at most once per
interval. A failure retries with exponential backoff, and marks the source failing after
OFFICIAL_FAILING_AFTER in a row; a bad payload is a failure with its reason, never an error.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F

from common import ssrf
from outages.official.fetch import Fetched, fetch
from outages.official.formats import BadPayload, Snapshot, parse
from outages.official.models import OfficialIncident, OfficialSource
from outages.official.selectors import WINDOW
from outages.official.services.acknowledgements import acknowledgements_record

FUTURE_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class Polled:
    claimed: int = 0
    fetched: int = 0  # 200 answers read
    not_modified: int = 0  # 304 answers
    failed: int = 0


def status_policy() -> ssrf.Policy:
    """The webhooks' guard (the same loopback and https switches), with this poller's own
    timeouts and size cap."""
    return ssrf.Policy(
        allow_loopback=settings.ALERTS_ALLOW_LOOPBACK,
        https_only=settings.ALERTS_HTTPS_ONLY,
        connect_timeout=settings.OFFICIAL_CONNECT_TIMEOUT,
        read_timeout=settings.OFFICIAL_READ_TIMEOUT,
        max_response_bytes=settings.OFFICIAL_MAX_BYTES,
    )


def sources_due(*, now: datetime) -> int:
    return OfficialSource.objects.filter(is_active=True, next_poll_at__lte=now).count()


def sources_claim(*, now: datetime, limit: int) -> list[OfficialSource]:
    """Due sources, each moved one interval on by a compare-and-set: only this caller has
    them until then."""
    due = (
        OfficialSource.objects.filter(is_active=True, next_poll_at__lte=now)
        .order_by("next_poll_at", "id")
        .values_list("id", "next_poll_at", "interval_seconds")[: limit * 2]
    )
    claimed: list[int] = []
    for source_id, at, interval in due:
        moved = OfficialSource.objects.filter(pk=source_id, next_poll_at=at).update(
            next_poll_at=now + timedelta(seconds=interval)
        )
        if moved:
            claimed.append(source_id)
            if len(claimed) == limit:
                break
    return list(OfficialSource.objects.filter(id__in=claimed).order_by("id"))


@dataclass(frozen=True)
class _Result:
    source: OfficialSource
    fetched: Fetched
    snapshot: Snapshot | None = None
    error: str = ""


def _read(source: OfficialSource, *, now: datetime, policy: ssrf.Policy) -> _Result:
    fetched = fetch(source.url, etag=source.etag, last_modified=source.last_modified, policy=policy)
    if fetched.error or fetched.not_modified:
        return _Result(source, fetched, error=fetched.error)
    try:
        snapshot = parse(
            source.kind,
            fetched.body,
            content_type=fetched.content_type,
            components=source.components or (),
            now=now,
        )
    except BadPayload as exc:
        return _Result(source, fetched, error=str(exc))
    except Exception as exc:  # noqa: BLE001 - a payload must never stop the batch
        return _Result(source, fetched, error=f"unreadable ({type(exc).__name__})")
    return _Result(source, fetched, snapshot)


def sources_poll(
    *, now: datetime, limit: int | None = None, on_commit: Callable[[set[int]], None] | None = None
) -> Polled:
    """Claim and poll one batch; `on_commit` gets the services whose shown status changed."""
    sources = sources_claim(now=now, limit=limit or settings.OFFICIAL_POLL_BATCH)
    if not sources:
        return Polled()
    policy = status_policy()
    threads = max(1, min(settings.OFFICIAL_FETCH_THREADS, len(sources)))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(lambda s: _read(s, now=now, policy=policy), sources))
    changed: set[int] = set()
    with transaction.atomic():
        for result in results:
            if _record(result, now=now):
                changed.add(result.source.service_id)
        changed |= acknowledgements_record(
            service_ids={r.source.service_id for r in results}, now=now
        )
        if changed and on_commit is not None:
            transaction.on_commit(lambda: on_commit(changed))
    return Polled(
        claimed=len(sources),
        fetched=sum(1 for r in results if r.snapshot is not None),
        not_modified=sum(1 for r in results if r.fetched.not_modified and not r.error),
        failed=sum(1 for r in results if r.error),
    )


def _shown(source: OfficialSource) -> tuple[object, ...]:
    return (
        source.indicator,
        source.description,
        source.incident_title,
        source.incident_url,
        source.updated_at,
        source.failing,
    )


def _record(result: _Result, *, now: datetime) -> bool:
    """Store one outcome; True when what the surfaces show changed."""
    before = _shown(result.source)
    if result.error:
        _failure(result.source, result.error, now=now)
    else:
        _success(result.source, result.fetched, result.snapshot, now=now)
    return _shown(result.source) != before


def _success(
    source: OfficialSource, fetched: Fetched, snapshot: Snapshot | None, *, now: datetime
) -> None:
    """A 200 read (`snapshot`) or a 304 (None: nothing new to show)."""
    counters: dict[str, Any]
    if snapshot is None:
        counters, shown = {"not_modified": F("not_modified") + 1}, {}
    else:
        counters = {
            "fetches": F("fetches") + 1,
            "etag": fetched.etag,
            "last_modified": fetched.last_modified,
        }
        shown = _snapshot_values(source, snapshot, now=now)
    for name, value in shown.items():
        setattr(source, name, value)
    source.failing = False
    OfficialSource.objects.filter(pk=source.pk).update(
        polled_at=now,
        succeeded_at=now,
        consecutive_failures=0,
        failing=False,
        last_error="",
        **counters,
        **shown,
    )


def _failure(source: OfficialSource, reason: str, *, now: datetime) -> None:
    failures = source.consecutive_failures + 1
    step = min(source.interval_seconds * 2 ** (failures - 1), settings.OFFICIAL_BACKOFF_MAX)
    source.failing = failures >= settings.OFFICIAL_FAILING_AFTER
    OfficialSource.objects.filter(pk=source.pk).update(
        polled_at=now,
        consecutive_failures=failures,
        failing=source.failing,
        last_error=reason[:300],
        next_poll_at=now + timedelta(seconds=step),
    )


def _safe_url(url: str) -> str:
    """Only web links are shown: a payload's "javascript:" link is dropped."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def _snapshot_values(
    source: OfficialSource, snapshot: Snapshot, *, now: datetime
) -> dict[str, object]:
    _incidents_store(source, snapshot, now=now)
    current = snapshot.current
    return {
        "indicator": snapshot.indicator,
        "description": snapshot.description[:200],
        "incident_title": current.title[:300] if current else "",
        "incident_url": _safe_url(current.url) if current else "",
        "updated_at": min(snapshot.updated_at, now) if snapshot.updated_at else None,
    }


def _incidents_store(source: OfficialSource, snapshot: Snapshot, *, now: datetime) -> None:
    items = [item for item in snapshot.items if item.announced_at >= now - WINDOW]
    known = {
        incident.external_id: incident
        for incident in OfficialIncident.objects.filter(
            source=source, external_id__in=[item.external_id for item in items]
        )
    }
    new = []
    for item in items:
        announced = min(item.announced_at, now + FUTURE_SLACK)
        found = known.get(item.external_id)
        if found is None:
            new.append(
                OfficialIncident(
                    source=source,
                    external_id=item.external_id,
                    title=item.title[:300],
                    url=_safe_url(item.url),
                    impact=item.impact,
                    announced_at=announced,
                    first_seen_at=now,
                    updated_at=item.updated_at,
                    resolved_at=now if item.resolved else None,
                )
            )
        elif (found.title, found.impact, found.updated_at, found.resolved_at is not None) != (
            item.title[:300],
            item.impact,
            item.updated_at,
            item.resolved,
        ):
            OfficialIncident.objects.filter(pk=found.pk).update(
                title=item.title[:300],
                impact=item.impact,
                updated_at=item.updated_at,
                resolved_at=(found.resolved_at or now) if item.resolved else None,
            )
    OfficialIncident.objects.bulk_create(new, ignore_conflicts=True)
    if snapshot.lists_unresolved_only:
        OfficialIncident.objects.filter(source=source, resolved_at__isnull=True).exclude(
            external_id__in=[item.external_id for item in snapshot.items]
        ).update(resolved_at=now)
