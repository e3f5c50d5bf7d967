"""Read side of the raw reports: what detection and moderation ask of them."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Max

from outages.incident_rules import Diversity
from reports.models import Report


def report_diversity(service_id: int, since: datetime, until: datetime) -> Diversity:
    """Who sent a service's counted reports in [since, until): distinct fingerprints and
    networks, and the largest share of one network and of one embedding origin."""
    reports = Report.objects.filter(
        service_id=service_id,
        received_at__gte=since,
        received_at__lt=until,
        counted=True,
        void__isnull=True,
    )
    summary = reports.aggregate(
        reports=Count("id"),
        reporters=Count("fingerprint", distinct=True),
        networks=Count("network", distinct=True),
    )
    total = summary["reports"] or 0
    if not total:
        return Diversity(
            reports=0, reporters=0, networks=0, top_network_share=0.0, top_origin_share=0.0
        )
    top_network = _top(reports.values("network"))
    top_origin = _top(reports.exclude(origin="").values("origin"))
    return Diversity(
        reports=total,
        reporters=summary["reporters"],
        networks=summary["networks"],
        top_network_share=round(top_network / total, 4),
        top_origin_share=round(top_origin / total, 4),
    )


def _top(grouped) -> int:  # type: ignore[no-untyped-def]
    """The largest group's size."""
    return grouped.annotate(n=Count("id")).aggregate(top=Max("n"))["top"] or 0
