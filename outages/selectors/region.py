"""Read side of the region page: what is down in one country."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from outages import figures
from outages.models import Dimension, Incident, SeriesBaseline, Service
from outages.selectors.incidents import incidents_open_public
from outages.services.baselines import SEGMENT_MIN_SHARE
from outages.vocabulary import Kind

# A country without a baseline of its own was under the significance bar (about 2% of the
# service's reports): assume it sends that much, which errs towards "usual".
COUNTRY_PRIOR_SHARE = SEGMENT_MIN_SHARE


@dataclass(frozen=True)
class RegionRow:
    """One service's problem reports from one country over the 15-minute count's minutes
    (outages.figures), against what that country usually sends: the service's expected count
    times the country's share."""

    service: Service
    count: int
    expected: float
    share: float
    level: int  # the service's public incident level (0 none)

    @property
    def ratio(self) -> float:
        return self.count / max(self.expected, 0.1)

    @property
    def excess(self) -> float:
        """How unusual the count is (about a z-score): the ranking key."""
        return (self.count - self.expected) / math.sqrt(self.expected + 1.0)


def region_ranking(*, country: str, now: datetime, limit: int = 50) -> list[RegionRow]:
    """Services with problem reports from the country over the 15-minute count's minutes,
    most unusual first. Three queries whatever the number of services: the counts, the services with
    their status (expected count, written by the detection pass) and the country's shares."""
    found = figures.recent_counts(until=figures.as_of(now), country=country, kind=Kind.PROBLEM)
    counts = {service_id: kinds[Kind.PROBLEM] for service_id, kinds in found.items()}
    if not counts:
        return []
    services = Service.objects.filter(id__in=counts, is_active=True).select_related("status")
    shares = dict(
        SeriesBaseline.objects.filter(
            service_id__in=counts, dimension=Dimension.COUNTRY, value=country
        ).values_list("service_id", "share")
    )
    rows = []
    for service in services:
        status = getattr(service, "status", None)
        share = shares.get(service.id, COUNTRY_PRIOR_SHARE)
        rows.append(
            RegionRow(
                service=service,
                count=counts[service.id],
                expected=(status.expected if status else 0.0) * share,
                share=share,
                level=status.level if status else 0,
            )
        )
    rows.sort(key=lambda row: (-row.level, -row.excess, row.service.name))
    return rows[:limit]


def incidents_open_in_country(*, country: str) -> list[Incident]:
    """Open public incidents whose countries include this one (filtered here: JSON containment
    differs between PostgreSQL and SQLite, and open incidents are few)."""
    return [
        incident
        for incident in incidents_open_public()
        if (incident.dimension == Dimension.COUNTRY and incident.value == country)
        or any(row.get("country") == country for row in incident.countries)
    ]
