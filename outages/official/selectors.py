"""The read side of official status: one selector per figure, read by every surface.

`official_statuses` is what the service page, the embed, the status API and the badge show
(it travels inside each service's cached status summary, outages/status_cache.py);
`lead_time_stats`, `acknowledgement_of` and `official_incidents_alone` are the service and
incident pages' and the API's figures of the crowd's lead time.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db.models import Exists, OuterRef

from outages.models import Dimension, Incident
from outages.official.models import (
    PROBLEM_INDICATORS,
    SEVERITY,
    Acknowledgement,
    Indicator,
    OfficialIncident,
    OfficialSource,
)

WINDOW = timedelta(days=90)
# An official incident announced up to this long before a crowd incident began acknowledges it
# (the company spoke first); after that, it counts until the crowd incident ends.
MATCH_BEFORE = timedelta(hours=1)


@dataclass(frozen=True)
class OfficialStatus:
    """A service's official status: the worst of its sources, as last read."""

    indicator: str
    description: str
    incident_title: str
    incident_url: str
    updated_at: datetime | None  # the page's own last update
    polled_at: datetime | None
    link: str  # the page people read
    failing: bool  # the source keeps failing: what is shown may be old
    # The open crowd incident's acknowledgement, if the company has acknowledged it.
    acknowledged_at: datetime | None = None
    lead_seconds: int | None = None

    @property
    def reports_problems(self) -> bool:
        return self.indicator in PROBLEM_INDICATORS

    @property
    def label(self) -> str:
        return str(Indicator(self.indicator).label)

    @property
    def link_label(self) -> str:
        """The link's words: the page's host ("www.githubstatus.com"), not a long URL."""
        return urlsplit(self.link).hostname or self.link


def official_statuses(*, service_ids: Iterable[int]) -> dict[int, OfficialStatus]:
    """Each service's official status (services without a source are absent): two queries
    for any number of services, one when none has a source."""
    ids = list(service_ids)
    sources = list(OfficialSource.objects.filter(service_id__in=ids, is_active=True).order_by("id"))
    if not sources:
        return {}
    worst: dict[int, OfficialSource] = {}
    for source in sources:
        kept = worst.get(source.service_id)
        if kept is None or SEVERITY[source.indicator] > SEVERITY[kept.indicator]:  # type: ignore[index]
            worst[source.service_id] = source
    acks = {
        service_id: (at, lead)
        for service_id, at, lead in Acknowledgement.objects.filter(
            incident__service_id__in=list(worst),
            incident__status=Incident.Status.OPEN,
            incident__dimension=Dimension.ALL,
        ).values_list("incident__service_id", "acknowledged_at", "lead_seconds")
    }
    found = {}
    for service_id, source in worst.items():
        at, lead = acks.get(service_id, (None, None))
        found[service_id] = OfficialStatus(
            indicator=source.indicator,
            description=source.description,
            incident_title=source.incident_title,
            incident_url=source.incident_url,
            updated_at=source.updated_at,
            polled_at=source.polled_at,
            link=source.link,
            failing=source.failing,
            acknowledged_at=at,
            lead_seconds=lead,
        )
    return found


def incident_acknowledged(incident: Incident) -> bool:
    """Whether the company has acknowledged a crowd incident: an official incident goes with
    it, or its status page reports problems now (an early-warning subscriber then hears
    nothing new from us)."""
    if Acknowledgement.objects.filter(incident=incident).exists():
        return True
    official = official_statuses(service_ids=[incident.service_id]).get(incident.service_id)
    return official is not None and official.reports_problems


@dataclass(frozen=True)
class IncidentOfficial:
    """What the incident page says of the company: its acknowledgement, if any, and whether
    the service has an official source at all (then "not acknowledged" is worth saying)."""

    acknowledgement: Acknowledgement | None
    has_source: bool


def acknowledgement_of(incident: Incident) -> IncidentOfficial:
    """One query, whatever the answer."""
    found = (
        Incident.objects.filter(pk=incident.pk)
        .select_related("acknowledgement__official_incident")
        .annotate(
            has_source=Exists(
                OfficialSource.objects.filter(service_id=OuterRef("service_id"), is_active=True)
            )
        )
        .first()
    )
    if found is None:
        return IncidentOfficial(None, False)
    try:
        acknowledgement: Acknowledgement | None = found.acknowledgement
    except Acknowledgement.DoesNotExist:
        acknowledgement = None
    return IncidentOfficial(acknowledgement, bool(found.has_source))


@dataclass(frozen=True)
class LeadStats:
    """Over the window: crowd incidents, how many the company acknowledged, and the median
    lead time of those (seconds; None when none was acknowledged)."""

    incidents: int
    acknowledged: int
    median_lead_seconds: float | None


def crowd_incidents(*, service_id: int, since: datetime) -> list[Incident]:
    """The service-wide public crowd incidents that lead times are measured on."""
    return list(
        Incident.objects.filter(
            service_id=service_id,
            dimension=Dimension.ALL,
            visibility=Incident.Visibility.PUBLIC,
            started_at__gte=since,
        ).order_by("started_at")
    )


def lead_time_stats(*, service_id: int, now: datetime) -> LeadStats:
    incidents = crowd_incidents(service_id=service_id, since=now - WINDOW)
    leads = list(
        Acknowledgement.objects.filter(incident__in=incidents).values_list(
            "lead_seconds", flat=True
        )
    )
    median = float(statistics.median(leads)) if leads else None
    return LeadStats(len(incidents), len(leads), median)


def official_incidents_alone(*, service_id: int, now: datetime) -> list[OfficialIncident]:
    """Official incidents of the window that no crowd incident went with: the company spoke,
    the crowd did not rise."""
    since = now - WINDOW
    official = list(
        OfficialIncident.objects.filter(
            source__service_id=service_id,
            announced_at__gte=since,
            acknowledgements__isnull=True,
        ).exclude(impact=Indicator.MAINTENANCE)
    )
    crowd = crowd_incidents(service_id=service_id, since=since - MATCH_BEFORE)
    return [
        item
        for item in official
        if not any(
            c.started_at - MATCH_BEFORE <= item.announced_at <= (c.ended_at or now) for c in crowd
        )
    ]
