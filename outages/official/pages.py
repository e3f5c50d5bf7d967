"""What the service and incident pages add about the official status (template context for
templates/official/_status.html and _incident.html)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from outages.models import Dimension, Incident, Service
from outages.official.selectors import acknowledgement_of, lead_time_stats, official_incidents_alone
from outages.official.wording import side_by_side
from outages.status_cache import status_summary
from outages.summaries import duration_words


def official_section_context(
    *, service: Service, crowd_level: int, now: datetime
) -> dict[str, Any]:
    """From the service's status summary (the cache, as the API, embed and badge read it)."""
    summary = status_summary(slug=service.slug)
    official = summary.official if summary is not None else None
    if official is None:
        return {"official": None}
    stats = lead_time_stats(service_id=service.id, now=now)
    median = stats.median_lead_seconds
    return {
        "official": official,
        "official_sentence": side_by_side(crowd_level=crowd_level, official=official),
        "lead_stats": stats,
        "lead_median": _signed_duration(median) if median is not None else "",
        "official_alone": official_incidents_alone(service_id=service.id, now=now)[:10],
    }


def official_incident_context(*, incident: Incident) -> dict[str, Any]:
    """The acknowledgement and its lead time; without one, whether to say that the company's
    page (when the service has one) has not acknowledged this service-wide incident."""
    official = acknowledgement_of(incident)
    found = official.acknowledgement
    if found is None:
        unacknowledged = incident.dimension == Dimension.ALL and official.has_source
        return {"acknowledgement": None, "official_unacknowledged": unacknowledged}
    return {"acknowledgement": found, "lead": _signed_duration(found.lead_seconds)}


def _signed_duration(seconds: float) -> str:
    words = duration_words(timedelta(seconds=abs(seconds)))
    return f"−{words}" if seconds < 0 else words
