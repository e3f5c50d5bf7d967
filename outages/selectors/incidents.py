"""Read side of incidents: a service's status (its open incident and the 15-minute counts),
public incident lists, and the minutes around one incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from outages import figures
from outages.detection import Baseline
from outages.models import Dimension, Incident
from outages.selectors.series import series_for_chart
from outages.services.baselines import baseline_of
from outages.services.series import SeriesKey
from outages.vocabulary import Kind


@dataclass(frozen=True)
class StatusReading:
    """What the status sentence says: the open incident's level and start, and the last 15
    minutes of problem and "works for me" reports against what the baseline expects."""

    level: int  # 0 no problems, 1 possible problems, 2 problems
    incident: Incident | None
    problems: int
    works: int
    expected: float

    @property
    def since(self) -> datetime | None:
        return self.incident.started_at if self.incident else None


def service_status(
    *, service_id: int, now: datetime, baseline: Baseline | None = None
) -> StatusReading:
    """The open incident, and the 15-minute counts and expected count as outages.figures
    defines them (the same minutes the status summaries count)."""
    incident = (
        Incident.objects.filter(
            service_id=service_id,
            status=Incident.Status.OPEN,
            visibility=Incident.Visibility.PUBLIC,
        )
        .order_by("dimension", "-level")
        .first()
    )
    until = figures.as_of(now)
    counts = figures.recent_counts(until=until, service_ids=[service_id]).get(service_id, {})
    baseline = baseline or baseline_of(key=SeriesKey(service_id, Dimension.ALL, ""), at=now)
    expected = figures.expected_over(
        baseline, start=figures.recent_start(until), minutes=figures.RECENT_MINUTES
    )
    return StatusReading(
        level=incident.level if incident else 0,
        incident=incident,
        problems=counts.get(Kind.PROBLEM, 0),
        works=counts.get(Kind.WORKS, 0),
        expected=expected,
    )


def incidents_of_service(*, service_id: int, limit: int = 20) -> list[Incident]:
    return list(
        Incident.objects.filter(
            service_id=service_id, visibility=Incident.Visibility.PUBLIC
        ).order_by("-started_at")[:limit]
    )


def incidents_public(*, limit: int = 50) -> list[Incident]:
    return list(
        Incident.objects.filter(visibility=Incident.Visibility.PUBLIC)
        .select_related("service")
        .order_by("-started_at")[:limit]
    )


def incidents_open_public() -> list[Incident]:
    return list(
        Incident.objects.filter(status=Incident.Status.OPEN, visibility=Incident.Visibility.PUBLIC)
        .select_related("service", "cascade")
        .order_by("-level", "-started_at")
    )


def incident_series(*, incident: Incident, now: datetime) -> list[tuple[datetime, int]]:
    """The incident's service's reports per minute from an hour before it to its end (or now),
    with an hour after it once closed."""
    start = incident.started_at - timedelta(hours=1)
    end = min((incident.ended_at + timedelta(hours=1)) if incident.ended_at else now, now)
    return series_for_chart(service_id=incident.service_id, end=end, span=end - start)


def incident_minutes(*, incident: Incident, now: datetime) -> list[int]:
    """Problem reports per minute from the incident's start to its end (or now)."""
    end = incident.ended_at or now
    series = series_for_chart(
        service_id=incident.service_id, end=end, span=end - incident.started_at
    )
    return [count for _, count in series]
