"""Each service's status summary in the cache (Redis in production), so that the hottest reads
(status JSON, badge, embed page, series downloads) never query the database per request.

The detection pass refreshes the summaries whose ServiceStatus row it changed, right after its
transaction commits; a read that finds none (a cold cache, a quiet service whose summary
expired) builds it from the database once and stores it. Saving a Service or a ServiceStatus
anywhere else (the admin, a test) forgets its summary. An unknown or inactive slug is
remembered as MISSING for a short while, so a flood of 404s costs no query either.

`version` identifies a summary's content, and is also stored on its own (VERSION_KEY, a
short string, cheap to read): the edge cache (outages/edge.py) keeps a rendered answer only as
long as the summary it was rendered from is the current one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from outages import figures, page_cache
from outages.models import Service, ServiceStatus
from outages.official.models import OfficialSource
from outages.official.selectors import OfficialStatus, official_statuses

KEY = "status:"
VERSION_KEY = "status-version:"
MISSING = "missing"
# Without a cache shared by the processes (the embedded default's per-process memory), another
# process's refresh never arrives here: a summary then lives one detection minute.
TTL = 600 if settings.REDIS_URL else 60
MISSING_TTL = 60


@dataclass(frozen=True)
class StatusSummary:
    service_id: int
    slug: str
    name: str
    category: str = "other"  # decides the widget's report buttons (its problem types)
    level: int = 0  # 0 no problems, 1 possible problems, 2 problems
    recent: int = 0  # problem reports in the last 15 minutes
    expected: float = 0.0  # what the baseline expects over them
    deviation: float = 0.0
    minute: datetime | None = None  # None: the detection pass has not written it yet
    sparkline: tuple[int, ...] = ()  # as stored: read it through `line`
    sparkline_end: datetime | None = None
    # The company's own status page, when the service has one (official.selectors).
    official: OfficialStatus | None = None
    version: str = field(default="", compare=False)

    @classmethod
    def of(
        cls, service: Service, status: ServiceStatus | None, official: OfficialStatus | None = None
    ) -> StatusSummary:
        summary = cls(
            service_id=service.id,
            slug=service.slug,
            name=service.name,
            category=service.category,
            official=official,
        )
        if status is not None:
            summary = replace(
                summary,
                level=status.level,
                recent=status.recent,
                expected=status.expected,
                deviation=status.deviation,
                minute=status.minute,
                sparkline=tuple(status.sparkline),
                sparkline_end=status.sparkline_end,
            )
        digest = hashlib.blake2b(repr(summary).encode(), digest_size=8).hexdigest()
        return replace(summary, version=digest)

    def line(self, *, until: datetime) -> list[int]:
        """The sparkline as of `until` (outages.figures.as_of): a quiet service's row is not
        rewritten every quarter, so its stored line is moved to the current quarter here."""
        return figures.sparkline_shift(self.sparkline, self.sparkline_end, until)


def status_summary(*, slug: str) -> StatusSummary | None:
    """The active service's summary, None if there is no such active service."""
    cached = cache.get_many([KEY + slug, VERSION_KEY + slug])
    found: StatusSummary | str | None = cached.get(KEY + slug)
    if found is None or VERSION_KEY + slug not in cached:  # (one of them evicted: both again)
        found = _summary_load(slug)
        _store({slug: found})
    return found if isinstance(found, StatusSummary) else None  # (else MISSING)


def status_summaries_refresh(*, service_ids: Iterable[int]) -> None:
    """Store the current summaries of these services (one query)."""
    services = list(
        _with_official(Service.objects.filter(id__in=list(service_ids)).select_related("status"))
    )
    official = official_statuses(
        service_ids=[s.id for s in services if s.is_active and getattr(s, "has_official", False)]
    )
    _store(
        {
            s.slug: StatusSummary.of(s, getattr(s, "status", None), official.get(s.id))
            if s.is_active
            else MISSING
            for s in services
        }
    )
    page_cache.pages_changed()  # the pages show these statuses too


def status_summary_forget(*, slug: str) -> None:
    cache.delete_many([KEY + slug, VERSION_KEY + slug])
    page_cache.pages_changed()


def _summary_load(slug: str) -> StatusSummary | str:
    service = _with_official(
        Service.objects.filter(slug=slug, is_active=True).select_related("status")
    ).first()
    if service is None:
        return MISSING
    official = (
        official_statuses(service_ids=[service.id]).get(service.id)
        if getattr(service, "has_official", False)
        else None
    )
    return StatusSummary.of(service, getattr(service, "status", None), official)


def _with_official(services: QuerySet[Service]) -> QuerySet[Service]:
    """Whether each service has an official source, in the same query: most have none, and
    their summary then costs one query, as before there were any."""
    return services.annotate(
        has_official=Exists(
            OfficialSource.objects.filter(service_id=OuterRef("pk"), is_active=True)
        )
    )


def _store(summaries: dict[str, StatusSummary | str]) -> None:
    found: dict[str, StatusSummary | str] = {}
    missing: dict[str, str] = {}
    for slug, summary in summaries.items():
        if isinstance(summary, StatusSummary):
            found |= {KEY + slug: summary, VERSION_KEY + slug: summary.version}
        else:
            missing |= {KEY + slug: MISSING, VERSION_KEY + slug: MISSING}
    if found:
        cache.set_many(found, TTL)
    if missing:
        cache.set_many(missing, MISSING_TTL)


@receiver([post_save, post_delete], sender=Service)
def _service_changed(sender: type, instance: Service, **kwargs: object) -> None:
    status_summary_forget(slug=instance.slug)


@receiver([post_save, post_delete], sender=ServiceStatus)
def _status_changed(sender: type, instance: ServiceStatus, **kwargs: object) -> None:
    for slug in Service.objects.filter(id=instance.service_id).values_list("slug", flat=True):
        status_summary_forget(slug=slug)
