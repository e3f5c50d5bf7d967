"""Which crowd incidents the company acknowledged, and when: the crowd's lead time.

A crowd incident (service-wide, public) is acknowledged by the first official incident of its
service announced from an hour before it began until it ended. Lead time = announced_at -
started_at (the first raised minute: when users' reports began). Recorded once per incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q

from outages.models import Dimension, Incident
from outages.official.models import Acknowledgement, Indicator, OfficialIncident
from outages.official.selectors import MATCH_BEFORE

# Closed crowd incidents still looked at: an official post-mortem may come late.
LOOK_BACK = timedelta(days=2)


def acknowledgements_record(*, service_ids: Iterable[int], now: datetime) -> set[int]:
    """Record the acknowledgements found; returns the services that got one."""
    ids = list(service_ids)
    crowd = list(
        Incident.objects.filter(
            service_id__in=ids,
            dimension=Dimension.ALL,
            visibility=Incident.Visibility.PUBLIC,
            acknowledgement__isnull=True,
        ).filter(Q(status=Incident.Status.OPEN) | Q(ended_at__gte=now - LOOK_BACK))
    )
    if not crowd:
        return set()
    earliest = min(incident.started_at for incident in crowd) - MATCH_BEFORE
    official = list(
        OfficialIncident.objects.filter(
            source__service_id__in={i.service_id for i in crowd},
            announced_at__gte=earliest,
            source__is_active=True,
        )
        .exclude(impact=Indicator.MAINTENANCE)
        .select_related("source")
        .order_by("announced_at", "id")
    )
    rows = []
    for incident in crowd:
        end = incident.ended_at or now
        match = next(
            (
                o
                for o in official
                if o.source.service_id == incident.service_id
                and incident.started_at - MATCH_BEFORE <= o.announced_at <= end
            ),
            None,
        )
        if match is not None:
            lead = int((match.announced_at - incident.started_at).total_seconds())
            rows.append(
                Acknowledgement(
                    incident=incident,
                    official_incident=match,
                    acknowledged_at=match.announced_at,
                    lead_seconds=lead,
                )
            )
    Acknowledgement.objects.bulk_create(rows, ignore_conflicts=True)
    return {row.incident.service_id for row in rows}
