"""Incident records: the detection library's transitions turned into rows that tell the story.

`incidents_record` is called by the detection pass with the transitions of one pass. It
1. opens, raises and closes Incident rows (a segment's incident, "iOS app only", is recorded
   only while the service as a whole has none: a service-wide outage is one incident);
2. applies the diversity rule before an incident becomes public;
3. records each public transition once in the IncidentEvent outbox (unique key);
4. refreshes the figures of open incidents from the buckets, and links cascades.

The diversity rule (outages.incident_rules, with the other pure rules): an incident is public
only if the reports since it started come from at least MIN_REPORTERS distinct fingerprints,
and no single hashed network prefix and no single embedding origin sent more than
MAX_SOURCE_SHARE of them. Otherwise it is recorded as suspicious, for moderators, with no
outbox event; it is checked again every minute while open and published (with its open event)
once it passes.

Over 300 lines: the record, refresh and retract steps share the outbox and cascade
helpers; the pure rules are in outages/incident_rules.py.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet, Sum

from outages import figures
from outages import incident_rules as rules
from outages.detection import CLOSE, LEVEL, OPEN, DetectedEvent
from outages.detection.timebuckets import MINUTE
from outages.incident_rules import DiversityLookup, SeriesFigures
from outages.models import Cascade, Dimension, Incident, MinuteBucket
from outages.models import IncidentEvent as OutboxEvent
from outages.services.series import SeriesKey
from outages.vocabulary import Kind

# Services whose incidents start within CASCADE_WINDOW of each other, at least CASCADE_MIN of
# them, are linked as a cascade ("possibly a shared upstream cause").
CASCADE_WINDOW = timedelta(minutes=10)
CASCADE_MIN = 3


def incidents_record(
    *,
    events: Sequence[tuple[SeriesKey, DetectedEvent]],
    figures: Mapping[SeriesKey, SeriesFigures],
    shares: Mapping[SeriesKey, float],
    now: datetime,
    diversity: DiversityLookup | None,
) -> list[Incident]:
    """Apply one pass's transitions (in time order), then refresh every open incident of the
    services the pass covered. Returns the incidents touched."""
    touched: dict[int, Incident] = {}
    for key, event in sorted(events, key=lambda pair: pair[1].at):
        incident = _apply(key, event)
        if incident is not None:
            touched[incident.pk] = incident
    services = {key.service_id for key in figures} | {key.service_id for key, _ in events}
    open_ = Incident.objects.filter(service_id__in=services, status=Incident.Status.OPEN)
    for incident in open_:
        touched.setdefault(incident.pk, incident)
    for incident in touched.values():
        key = SeriesKey(incident.service_id, incident.dimension, incident.value)
        incident_refresh(
            incident=incident,
            figures=figures.get(key),
            shares=shares,
            now=now,
            diversity=diversity,
        )
    return list(touched.values())


def _apply(key: SeriesKey, event: DetectedEvent) -> Incident | None:
    incident: Incident | None
    if event.kind == OPEN:
        if key.dimension and _whole_is_open(key.service_id):
            return None  # part of the service-wide incident
        if not key.dimension and (absorbed := _absorb_segments(key.service_id, event)):
            return absorbed
        incident, _ = Incident.objects.get_or_create(
            service_id=key.service_id,
            dimension=key.dimension,
            value=key.value,
            started_at=event.started_at,
            defaults={
                "level": event.level,
                "detected_at": event.at,
                "peak_at": event.peak_at,
                "peak_count": int(event.peak),
                "visibility": Incident.Visibility.SUSPICIOUS,
            },
        )
        return incident
    incident = _open_incident(key)
    if incident is None:
        return None  # its open was folded into a service-wide incident
    if event.kind == LEVEL and event.level > incident.level:
        incident.level = event.level
        incident.save(update_fields=["level", "updated_at"])
        _outbox(incident, OutboxEvent.Kind.LEVEL, event.at)
    elif event.kind == CLOSE:
        incident.status = Incident.Status.CLOSED
        incident.ended_at = event.ended_at
        incident.save(update_fields=["status", "ended_at", "updated_at"])
        _outbox(incident, OutboxEvent.Kind.CLOSE, event.at)
    return incident


def incident_refresh(
    *,
    incident: Incident,
    figures: SeriesFigures | None,
    shares: Mapping[SeriesKey, float],
    now: datetime,
    diversity: DiversityLookup | None,
) -> None:
    """Recompute an incident's figures from the buckets; publish it once it passes the
    diversity rule; link it to a cascade."""
    end = (incident.ended_at + MINUTE) if incident.ended_at else now
    if figures is not None:
        incident.expected_total = figures.expected_total
        _works(incident, figures, now)
    _from_buckets(incident, end=end, shares=shares)
    published_at = incident.detected_at
    if incident.visibility == Incident.Visibility.SUSPICIOUS and diversity is not None:
        found = diversity(incident.service_id, incident.started_at, end)
        incident.diversity = asdict(found)
        if found.passes:
            incident.visibility = Incident.Visibility.PUBLIC
            published_at = max(incident.detected_at, now - MINUTE)
    incident.save()
    if incident.visibility == Incident.Visibility.PUBLIC:
        _outbox(incident, OutboxEvent.Kind.OPEN, published_at)
        if incident.level == 2:
            _outbox(incident, OutboxEvent.Kind.LEVEL, incident.detected_at)
        if incident.status == Incident.Status.CLOSED:
            _outbox(incident, OutboxEvent.Kind.CLOSE, incident.ended_at or now)
        if not incident.dimension and incident.cascade_id is None:
            _cascade_link(incident)


def _from_buckets(incident: Incident, *, end: datetime, shares: Mapping[SeriesKey, float]) -> None:
    """The incident's figures from its minutes [started_at, end); its peak per 15 minutes
    (outages.figures.peak_quarter) also reads the 14 minutes before it. Summed by the database:
    refreshed every minute, a long incident's bucket rows would otherwise all cross the wire
    each time."""
    before = incident.started_at - (figures.RECENT_MINUTES - 1) * MINUTE
    rows = MinuteBucket.objects.filter(
        service_id=incident.service_id, minute__gte=before, minute__lt=end
    )
    if incident.dimension:
        rows = rows.filter(**{incident.dimension: incident.value})
    problems_rows = rows.filter(kind=Kind.PROBLEM)
    per_minute: Counter[datetime] = Counter()
    earlier: Counter[datetime] = Counter()
    for minute, count in _summed(problems_rows, "minute"):
        (per_minute if minute >= incident.started_at else earlier)[minute] += count
    during = problems_rows.filter(minute__gte=incident.started_at)
    platforms = Counter(dict(_summed(during, "platform")))
    problems = Counter(dict(_summed(during, "problem")))
    countries: Counter[str] = Counter()
    for country, count in _summed(during, "country"):
        countries[country or "??"] += count
    works_rows = rows.filter(kind=Kind.WORKS, minute__gte=incident.started_at)
    works = works_rows.aggregate(n=Sum("count"))["n"] or 0
    total = sum(per_minute.values())
    incident.total, incident.works_total = total, works
    if not total:
        return
    peak_at, peak = max(per_minute.items(), key=lambda item: (item[1], item[0]))
    incident.peak_at, incident.peak_count = peak_at, peak
    quarter = figures.peak_quarter(per_minute + earlier, start=incident.started_at, end=end)
    incident.peak_quarter_at, incident.peak_quarter_count = quarter.middle, quarter.count
    incident.platforms = rules.shares(platforms, total)
    incident.problems = rules.shares(problems, total)
    incident.countries = _countries(incident, countries, shares)
    incident.only = _only(incident, platforms, countries, shares)
    one = incident.dimension == Dimension.COUNTRY
    incident.scope = Incident.Scope.ONE if one else rules.scope_verdict(incident.countries)


def _summed(rows: QuerySet[MinuteBucket], field: str) -> list[tuple[Any, int]]:
    """The rows' counts summed per value of `field`."""
    summed = rows.order_by(field).values(field).annotate(n=Sum("count")).values_list(field, "n")
    return [(value, int(n)) for value, n in summed]


def _only(
    incident: Incident,
    platforms: Counter[str],
    countries: Counter[str],
    shares: Mapping[SeriesKey, float],
) -> str:
    """rules.only_segment with each platform's and country's usual share (0 when none)."""
    if incident.dimension:
        return f"{incident.dimension}:{incident.value}"
    counts: dict[str, Counter[str]] = {Dimension.PLATFORM: platforms, Dimension.COUNTRY: countries}
    usual: dict[str, dict[str, float]] = {
        dimension: {n: shares.get(SeriesKey(incident.service_id, dimension, n), 0.0) for n in by}
        for dimension, by in counts.items()
    }
    return rules.only_segment(counts, usual, expected_total=incident.expected_total)


def _countries(
    incident: Incident, counts: Counter[str], shares: Mapping[SeriesKey, float]
) -> list[dict[str, object]]:
    usual = {c: shares.get(SeriesKey(incident.service_id, Dimension.COUNTRY, c)) for c in counts}
    return rules.country_rows(counts, usual, expected_total=incident.expected_total)


def _works(incident: Incident, figures: SeriesFigures, now: datetime) -> None:
    incident.confidence, recovering = rules.confidence(figures)
    if recovering and incident.recovering_at is None:
        incident.recovering_at = now
    elif not recovering:
        incident.recovering_at = None


def _absorb_segments(service_id: int, event: DetectedEvent) -> Incident | None:
    """When the whole service opens while some of its segments have incidents open, the
    earliest of those becomes the service-wide incident (its story began there) and any
    others close: a service has one incident at a time, whose shares say where it is."""
    segments = list(
        Incident.objects.filter(service_id=service_id, status=Incident.Status.OPEN)
        .exclude(dimension=Dimension.ALL)
        .order_by("started_at", "id")
    )
    if not segments:
        return None
    first, *others = segments
    first.dimension, first.value = Dimension.ALL, ""
    first.started_at = min(first.started_at, event.started_at)
    first.level = max(first.level, event.level)
    first.save()
    for other in others:
        other.status, other.ended_at = Incident.Status.CLOSED, event.at
        other.save(update_fields=["status", "ended_at", "updated_at"])
        _outbox(other, OutboxEvent.Kind.CLOSE, event.at)
    return first


def _whole_is_open(service_id: int) -> bool:
    return Incident.objects.filter(
        service_id=service_id, dimension=Dimension.ALL, status=Incident.Status.OPEN
    ).exists()


def _open_incident(key: SeriesKey) -> Incident | None:
    return (
        Incident.objects.filter(
            service_id=key.service_id,
            dimension=key.dimension,
            value=key.value,
            status=Incident.Status.OPEN,
        )
        .order_by("-started_at")
        .first()
    )


def _outbox(incident: Incident, kind: str, at: datetime) -> None:
    """Record a public transition once: its key names the incident and the transition."""
    if incident.visibility != Incident.Visibility.PUBLIC:
        return
    suffix = f"{kind}:{incident.level}" if kind == OutboxEvent.Kind.LEVEL else kind
    OutboxEvent.objects.get_or_create(
        key=f"incident:{incident.pk}:{suffix}",
        defaults={"incident": incident, "kind": kind, "level": incident.level, "at": at},
    )


def _cascade_link(incident: Incident) -> None:
    others = list(
        Incident.objects.filter(
            ~Q(service_id=incident.service_id),
            dimension=Dimension.ALL,
            visibility=Incident.Visibility.PUBLIC,
            started_at__gte=incident.started_at - CASCADE_WINDOW,
            started_at__lte=incident.started_at + CASCADE_WINDOW,
        )
    )
    if len({o.service_id for o in others}) + 1 < CASCADE_MIN:
        return
    cascade = next((o.cascade for o in others if o.cascade_id), None) or Cascade.objects.create(
        started_at=min([incident.started_at, *(o.started_at for o in others)])
    )
    Incident.objects.filter(pk__in=[incident.pk, *(o.pk for o in others)]).update(cascade=cascade)
    incident.cascade = cascade


def incident_retract(incident: Incident, *, at: datetime) -> None:
    """Withdraw an incident from the public pages (a moderator dismissed it, or it was raised
    only by a voided burst). If it had been announced, a retraction is recorded in the outbox
    once, so that those alerted hear it was withdrawn."""
    announced = OutboxEvent.objects.filter(incident=incident).exists()
    incident.visibility = Incident.Visibility.RETRACTED
    incident.retracted_at = at
    incident.save(update_fields=["visibility", "retracted_at", "updated_at"])
    if announced:
        OutboxEvent.objects.get_or_create(
            key=f"incident:{incident.pk}:retract",
            defaults={
                "incident": incident,
                "kind": OutboxEvent.Kind.RETRACT,
                "level": incident.level,
                "at": at,
            },
        )


def incident_publish(incident: Incident, *, at: datetime) -> None:
    """A moderator publishes a suspicious incident: public from now on, and announced as one
    that passed the diversity rule would be (each transition once)."""
    incident.visibility = Incident.Visibility.PUBLIC
    incident.retracted_at = None
    incident.save(update_fields=["visibility", "retracted_at", "updated_at"])
    _outbox(incident, OutboxEvent.Kind.OPEN, at)
    if incident.level == 2:
        _outbox(incident, OutboxEvent.Kind.LEVEL, incident.detected_at)
    if incident.status == Incident.Status.CLOSED:
        _outbox(incident, OutboxEvent.Kind.CLOSE, incident.ended_at or at)


def incident_restore(incident: Incident) -> None:
    """Undo a retraction (its burst's void was undone): public again, no new announcement."""
    incident.visibility = Incident.Visibility.PUBLIC
    incident.retracted_at = None
    incident.save(update_fields=["visibility", "retracted_at", "updated_at"])
