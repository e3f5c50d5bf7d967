"""Incident records: the detection library's transitions turned into rows that tell the story.

`incidents_record` is called by the detection pass with the transitions of one pass. It
1. opens, raises and closes Incident rows (a segment's incident, "iOS app only", is recorded
   only while the service as a whole has none: a service-wide outage is one incident);
2. applies the diversity rule before an incident becomes public;
3. records each public transition once in the IncidentEvent outbox (unique key);
4. refreshes the figures of open incidents from the buckets, and links cascades.

The diversity rule: an incident is public only if the reports since it started come from at
least MIN_REPORTERS distinct fingerprints, and no single hashed network prefix and no single
embedding origin sent more than MAX_SOURCE_SHARE of them. Otherwise it is recorded as
suspicious, for moderators, with no outbox event; it is checked again every minute while open
and published (with its open event) once it passes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db.models import Q

from outages import figures
from outages.detection import CLOSE, LEVEL, OPEN, IncidentEvent
from outages.detection.timebuckets import MINUTE
from outages.models import Cascade, Dimension, Incident, MinuteBucket
from outages.models import IncidentEvent as OutboxEvent
from outages.services.series import SeriesKey
from outages.vocabulary import Kind

MIN_REPORTERS = 10
MAX_SOURCE_SHARE = 0.5
# A country is affected when it sent at least this many reports and this many times its own
# usual number; the verdict is "one country" when one holds ONE_COUNTRY_SHARE of the excess.
COUNTRY_MIN_REPORTS = 5
COUNTRY_MIN_RATIO = 2.0
ONE_COUNTRY_SHARE = 0.8
SEVERAL_MAX = 4
ONLY_SHARE = 0.9
# Services whose incidents start within CASCADE_WINDOW of each other, at least CASCADE_MIN of
# them, are linked as a cascade ("possibly a shared upstream cause").
CASCADE_WINDOW = timedelta(minutes=10)
CASCADE_MIN = 3
APP_PLATFORMS = ("ios", "android", "desktop")


@dataclass(frozen=True)
class Diversity:
    """Who sent a service's reports over a period, as far as hashes tell."""

    reports: int
    reporters: int  # distinct fingerprints
    networks: int  # distinct hashed network prefixes
    top_network_share: float
    top_origin_share: float  # of the reports sent through one embedding origin

    @property
    def passes(self) -> bool:
        return (
            self.reporters >= MIN_REPORTERS
            and self.top_network_share <= MAX_SOURCE_SHARE
            and self.top_origin_share <= MAX_SOURCE_SHARE
        )


# (service id, since, until) -> Diversity, from the raw reports; injected by the task layer,
# since outages never reads the reports app.
DiversityLookup = Callable[[int, datetime, datetime], Diversity]


@dataclass(frozen=True)
class SeriesFigures:
    """What the detection pass knows of an open incident's series at its last minute."""

    expected_total: float  # reports the baseline expected since the incident started
    recent: float  # problem reports in the last 15 minutes
    recent_expected: float
    recent_works: float  # "works for me" reports in the last 15 minutes (whole service)


def incidents_record(
    *,
    events: Sequence[tuple[SeriesKey, IncidentEvent]],
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
            incident=incident, figures=figures.get(key), shares=shares, now=now,
            diversity=diversity,
        )  # fmt: skip
    return list(touched.values())


def _apply(key: SeriesKey, event: IncidentEvent) -> Incident | None:
    incident: Incident | None
    if event.kind == OPEN:
        if key.dimension and _whole_is_open(key.service_id):
            return None  # part of the service-wide incident
        if not key.dimension and (absorbed := _absorb_segments(key.service_id, event)):
            return absorbed
        incident, _ = Incident.objects.get_or_create(
            service_id=key.service_id, dimension=key.dimension, value=key.value,
            started_at=event.started_at,
            defaults={"level": event.level, "detected_at": event.at, "peak_at": event.peak_at,
                      "peak_count": int(event.peak), "visibility": Incident.Visibility.SUSPICIOUS},
        )  # fmt: skip
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


def scope_verdict(countries: Sequence[Mapping[str, object]]) -> str:
    """One country, several or international, from each country's count and its expected
    count under its usual share (see the constants above)."""
    excess = {
        str(c["country"]): max(float(c["count"]) - float(c["expected"] or 0.0), 0.0)  # type: ignore[arg-type]
        for c in countries
    }
    total = sum(excess.values())
    if not total:
        return ""
    affected = [
        c for c in countries
        if float(c["count"]) >= COUNTRY_MIN_REPORTS  # type: ignore[arg-type]
        and (c["ratio"] is None or float(c["ratio"]) >= COUNTRY_MIN_RATIO)  # type: ignore[arg-type]
    ]  # fmt: skip
    if max(excess.values()) >= ONE_COUNTRY_SHARE * total or len(affected) <= 1:
        return Incident.Scope.ONE
    return Incident.Scope.SEVERAL if len(affected) <= SEVERAL_MAX else Incident.Scope.INTERNATIONAL


def _from_buckets(incident: Incident, *, end: datetime, shares: Mapping[SeriesKey, float]) -> None:
    """The incident's figures from its minutes [started_at, end); its peak per 15 minutes
    (outages.figures.peak_quarter) also reads the 14 minutes before it."""
    before = incident.started_at - (figures.RECENT_MINUTES - 1) * MINUTE
    rows = MinuteBucket.objects.filter(
        service_id=incident.service_id, minute__gte=before, minute__lt=end
    )
    if incident.dimension:
        rows = rows.filter(**{incident.dimension: incident.value})
    per_minute: Counter[datetime] = Counter()
    earlier: Counter[datetime] = Counter()
    platforms: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    works = 0
    for minute, kind, platform, problem, country, count in rows.values_list(
        "minute", "kind", "platform", "problem", "country", "count"
    ).iterator():
        if minute < incident.started_at:
            earlier[minute] += count if kind == Kind.PROBLEM else 0
            continue
        if kind == Kind.WORKS:
            works += count
            continue
        per_minute[minute] += count
        platforms[platform] += count
        problems[problem] += count
        countries[country or "??"] += count
    total = sum(per_minute.values())
    incident.total, incident.works_total = total, works
    if not total:
        return
    peak_at, peak = max(per_minute.items(), key=lambda item: (item[1], item[0]))
    incident.peak_at, incident.peak_count = peak_at, peak
    quarter = figures.peak_quarter(per_minute + earlier, start=incident.started_at, end=end)
    incident.peak_quarter_at, incident.peak_quarter_count = quarter.middle, quarter.count
    incident.platforms = _shares(platforms, total)
    incident.problems = _shares(problems, total)
    incident.countries = _countries(incident, countries, shares)
    incident.only = _only(incident, platforms, countries, shares)
    one = incident.dimension == Dimension.COUNTRY
    incident.scope = Incident.Scope.ONE if one else scope_verdict(incident.countries)


def _only(
    incident: Incident,
    platforms: Counter[str],
    countries: Counter[str],
    shares: Mapping[SeriesKey, float],
) -> str:
    """The platform or country holding ONLY_SHARE of the excess over each one's usual share
    ("iOS app only"), else "". When both a platform and a country qualify, the one that is
    usually the smaller share of reports says more."""
    if incident.dimension:
        return f"{incident.dimension}:{incident.value}"
    found = []
    for dimension, counts in ((Dimension.PLATFORM, platforms), (Dimension.COUNTRY, countries)):
        usual = {n: shares.get(SeriesKey(incident.service_id, dimension, n), 0.0) for n in counts}
        excess = {n: c - incident.expected_total * usual[n] for n, c in counts.items()}
        total = sum(max(e, 0.0) for e in excess.values())
        name, top = max(excess.items(), key=lambda item: item[1], default=("", 0.0))
        if total > 0 and top >= ONLY_SHARE * total:
            found.append((usual[name], f"{dimension}:{name}"))
    return min(found)[1] if found else ""


def _countries(
    incident: Incident, counts: Counter[str], shares: Mapping[SeriesKey, float]
) -> list[dict[str, object]]:
    """Each country's count and its ratio to what its usual share of the baseline expected."""
    rows = []
    for country, count in counts.most_common():
        share = shares.get(SeriesKey(incident.service_id, Dimension.COUNTRY, country))
        expected = incident.expected_total * share if share is not None else None
        rows.append({
            "country": country,
            "count": count,
            "expected": round(expected, 1) if expected is not None else None,
            "ratio": round(count / max(expected, 0.5), 1) if expected is not None else None,
        })  # fmt: skip
    return rows


def _works(incident: Incident, figures: SeriesFigures, now: datetime) -> None:
    """ "Works for me" reports lower confidence in a small spike, and mark recovery once they
    outnumber the excess of problem reports."""
    excess = max(figures.recent - figures.recent_expected, 0.0)
    works = figures.recent_works
    incident.confidence = round(excess / (excess + works), 3) if excess + works else 1.0
    recovering = works > 0 and works >= excess
    if recovering and incident.recovering_at is None:
        incident.recovering_at = now
    elif not recovering:
        incident.recovering_at = None


def _shares(counts: Counter[str], total: int) -> dict[str, float]:
    return {name: round(count / total, 4) for name, count in counts.most_common()}


def _absorb_segments(service_id: int, event: IncidentEvent) -> Incident | None:
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
        )  # fmt: skip
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
