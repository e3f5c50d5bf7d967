"""Read side: what the pages, the API and the charts ask of services and buckets."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import get_close_matches

import numpy as np
from django.core.cache import cache
from django.db.models import F, Sum

from outages import figures
from outages.detection import DEFAULT_CONFIG, Baseline
from outages.detection.timebuckets import MINUTE, floor_to, floor_to_minute, zero_fill
from outages.models import (
    Dimension,
    Incident,
    MinuteBucket,
    SeriesBaseline,
    Service,
    ServiceAlias,
)
from outages.services.baselines import SEGMENT_MIN_SHARE, baseline_of
from outages.services.series import SeriesKey
from outages.status_cache import status_summary
from outages.vocabulary import Kind


def services_active() -> list[Service]:
    return list(Service.objects.filter(is_active=True))


def series_for_chart(
    *, service_id: int, kind: str = Kind.PROBLEM, end: datetime, span: timedelta
) -> list[tuple[datetime, int]]:
    """Reports per minute over [end - span, end), zero-filled; the last minute is partial."""
    end = floor_to_minute(end) + MINUTE
    start = end - span
    rows = (
        MinuteBucket.objects.filter(
            service_id=service_id, kind=kind, minute__gte=start, minute__lt=end
        )
        .values("minute")
        .annotate(total=Sum("count"))
    )
    return zero_fill({row["minute"]: row["total"] for row in rows}, start, end)


# --- Status, chart band, breakdowns and incidents (service and incident pages) ---------------

RANGES = {  # name -> (span, resolution)
    "24h": (timedelta(hours=24), timedelta(minutes=1)),
    "7d": (timedelta(days=7), timedelta(minutes=15)),
    "30d": (timedelta(days=30), timedelta(hours=1)),
}


@dataclass(frozen=True)
class ServiceStatus:
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


@dataclass(frozen=True)
class BandSeries:
    """Reports per interval with the baseline's expected value and typical band."""

    times: list[datetime]
    counts: list[int]
    expected: list[float | None]  # None: no baseline for this series (a problem type)
    lower: list[float | None]
    upper: list[float | None]
    resolution: timedelta


def service_status(
    *, service_id: int, now: datetime, baseline: Baseline | None = None
) -> ServiceStatus:
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
    return ServiceStatus(
        level=incident.level if incident else 0,
        incident=incident,
        problems=counts.get(Kind.PROBLEM, 0),
        works=counts.get(Kind.WORKS, 0),
        expected=expected,
    )


def series_with_band(
    *,
    service_id: int,
    end: datetime,
    range_name: str = "24h",
    baseline: Baseline | None = None,
    intervals: int | None = None,
    segment: tuple[str, str] | None = None,
    problem: str | None = None,
    country: str | None = None,
) -> BandSeries:
    """Problem reports per interval over the range ending now (the last one partial),
    zero-filled, with the baseline's expected count and typical band per interval.
    `intervals` keeps only the range's last ones (the live refresh). `segment` (("platform",
    "ios") or ("country", "FR")) and `problem` narrow the reports; the band is then that
    segment's own baseline (the prior when it has too few reports for one), and none at all
    for a problem type, which has no baseline of its own. `country` narrows a platform
    segment further (iOS in France): no baseline either, so no band."""
    span, resolution = RANGES[range_name]
    if intervals is not None:
        span = min(span, resolution * intervals)
    step = int(resolution.total_seconds())
    end = floor_to(end, resolution) + resolution
    start = end - span
    narrowed = {segment[0]: segment[1]} if segment else {}
    if problem:
        narrowed["problem"] = problem
    if country:
        narrowed["country"] = country
    slots = int(span.total_seconds()) // step
    partial = end - resolution  # the interval now falls in
    if intervals is None:
        # A whole range's counts (a day of a busy service: ~10,000 buckets) are most of a
        # service page's time; its complete intervals are kept briefly, the one now falls in
        # is read afresh.
        shown = ":".join(segment) if segment else "all"
        shown += f":{country}" if country else ""
        cache_key = f"series:{service_id}:{range_name}:{shown}:{problem or ''}:{partial:%Y%m%d%H%M}"
        complete: np.ndarray = cache.get_or_set(  # type: ignore[assignment]  # (never None)
            cache_key,
            lambda: _interval_counts(service_id, start, partial, step, narrowed),
            SERIES_CACHE_SECONDS,
        )
        counts = np.concatenate(
            [complete, _interval_counts(service_id, partial, end, step, narrowed)]
        )
    else:
        counts = _interval_counts(service_id, start, end, step, narrowed)
    key = SeriesKey(service_id, *segment) if segment else SeriesKey(service_id, Dimension.ALL, "")
    baseline = baseline if baseline is not None and not segment else baseline_of(key=key, at=end)
    minutes = start.timestamp() + 60.0 * np.arange(slots * step // 60)
    expected = baseline.expected(minutes)[0].reshape(slots, -1).sum(axis=1)
    per = step // 60
    # Dispersion of a sum of `per` minutes: the evidence window closest to it in length.
    windows = (1, *DEFAULT_CONFIG.windows)
    alpha = baseline.dispersion[0, min(range(len(windows)), key=lambda i: abs(windows[i] - per))]
    sd = np.sqrt(expected * (1.0 + alpha * expected))
    times = [start + i * resolution for i in range(slots)]
    if problem or country:
        nothing: list[float | None] = [None] * slots
        return BandSeries(times=times, counts=counts.tolist(), expected=nothing,
                          lower=nothing, upper=nothing, resolution=resolution)  # fmt: skip
    return BandSeries(
        times=times,
        counts=counts.tolist(),
        expected=np.round(expected, 2).tolist(),
        lower=np.round(np.maximum(expected - DEFAULT_CONFIG.band_z * sd, 0), 2).tolist(),
        upper=np.round(expected + DEFAULT_CONFIG.band_z * sd, 2).tolist(),
        resolution=resolution,
    )


def _interval_counts(
    service_id: int, start: datetime, end: datetime, step: int, narrowed: dict[str, str]
) -> np.ndarray:
    """Problem reports per interval of `step` seconds from start to end."""
    rows = (
        MinuteBucket.objects.filter(
            service_id=service_id,
            kind=Kind.PROBLEM,
            minute__gte=start,
            minute__lt=end,
            **narrowed,
        )  # fmt: skip
        .values("minute")
        .annotate(total=Sum("count"))
        .values_list("minute", "total")
    )
    counts = np.zeros(int((end - start).total_seconds()) // step, dtype=np.int64)
    for minute, total in rows:
        counts[int((minute - start).total_seconds()) // step] += total
    return counts


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


def breakdown(*, service_id: int, since: datetime, until: datetime) -> dict[str, Counter[str]]:
    """Problem reports by platform, problem type and country over [since, until): one query
    grouped by all three, so a busy service's thousands of buckets stay in the database."""
    found: dict[str, Counter[str]] = {"platform": Counter(), "problem": Counter(),
                                      "country": Counter()}  # fmt: skip
    grouped = (
        MinuteBucket.objects.filter(
            service_id=service_id, kind=Kind.PROBLEM, minute__gte=since, minute__lt=until
        )
        .values("platform", "problem", "country")
        .annotate(total=Sum("count"))
        .values_list("platform", "problem", "country", "total")
        .order_by()
    )
    for platform, problem, country, total in grouped:
        found["platform"][platform] += total
        found["problem"][problem] += total
        found["country"][country or "??"] += total
    return found


BREAKDOWN_CACHE_SECONDS = 30
SERIES_CACHE_SECONDS = 30  # a late report reaches a complete interval's count within this


def breakdown_cached(*, service_id: int, since: datetime, now: datetime) -> dict[str, Counter[str]]:
    """breakdown() from `since` to the last complete minute (outages.figures.as_of, so that
    over the 24 hours its total is the 24 h count), kept briefly: the heaviest read of the
    service page and of the breakdowns API (a day of a busy service's buckets)."""
    until = figures.as_of(now) + MINUTE
    # Never None: the default is computed on a miss (typed as maybe None for a None default).
    return cache.get_or_set(  # type: ignore[return-value]
        f"breakdown:{service_id}:{since:%Y%m%d%H%M}:{until:%Y%m%d%H%M}",
        lambda: breakdown(service_id=service_id, since=since, until=until),
        BREAKDOWN_CACHE_SECONDS,
    )


def day_line(*, service_id: int, slug: str, now: datetime) -> list[int]:
    """The service's sparkline (its 24 h count is the sum) as of the last complete minute:
    from its status summary, the one the home row, embed and status API read; from the buckets
    until the detection pass has first written it."""
    until = figures.as_of(now)
    summary = status_summary(slug=slug)
    if summary is not None and summary.minute is not None:
        return summary.line(until=until)
    return figures.sparklines(service_ids=[service_id], until=until)[service_id]


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


def services_ranked(*, category: str | None = None) -> list[Service]:
    """Active services, most unusual first: public incident level, then deviation from the
    baseline over the last 15 minutes (from ServiceStatus, written by the detection pass)."""
    queryset = Service.objects.filter(is_active=True).select_related("status")
    if category:
        queryset = queryset.filter(category=category)
    return list(
        queryset.order_by(
            F("status__level").desc(nulls_last=True),
            F("status__deviation").desc(nulls_last=True),
            "name",
        )
    )


def incidents_open_public() -> list[Incident]:
    return list(
        Incident.objects.filter(status=Incident.Status.OPEN, visibility=Incident.Visibility.PUBLIC)
        .select_related("service", "cascade")
        .order_by("-level", "-started_at")
    )


def services_search(*, query: str, limit: int = 10) -> list[Service]:
    """Services whose slug, name or an alias matches the query: exact first, then prefixes
    and substrings, then close spellings ("twiter")."""
    needle = query.strip().lower()
    if not needle:
        return []
    names: dict[str, int] = {}
    for service_id, slug, name in Service.objects.filter(is_active=True).values_list(
        "id", "slug", "name"
    ):
        names.setdefault(slug.lower(), service_id)
        names.setdefault(name.lower(), service_id)
    for alias, service_id in ServiceAlias.objects.filter(service__is_active=True).values_list(
        "alias", "service_id"
    ):
        names.setdefault(alias.lower(), service_id)
    ranked: list[int] = []
    exact = [sid for name, sid in names.items() if name == needle]
    starts = [sid for name, sid in names.items() if name.startswith(needle)]
    inside = [sid for name, sid in names.items() if needle in name]
    close = [names[n] for n in get_close_matches(needle, list(names), n=limit, cutoff=0.75)]
    for service_id in exact + starts + inside + close:
        if service_id not in ranked:
            ranked.append(service_id)
    found = Service.objects.in_bulk(ranked[:limit])
    return [found[sid] for sid in ranked[:limit]]


def recent_reports(*, service_id: int, now: datetime) -> dict[str, int]:
    """Problem and "works for me" reports in the 15 minutes ending with the one in progress
    (the thank-you's live count: it includes the report just sent)."""
    until = floor_to_minute(now)
    counts = figures.recent_counts(until=until, service_ids=[service_id]).get(service_id, {})
    return {"problems": counts.get(Kind.PROBLEM, 0), "works": counts.get(Kind.WORKS, 0)}


def service_baseline(*, service_id: int, at: datetime) -> Baseline:
    """The whole service's baseline (read once per page, shared by status and chart)."""
    return baseline_of(key=SeriesKey(service_id, Dimension.ALL, ""), at=at)


# --- Region page: what is down in one country -----------------------------------------------

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


def service_with_status(*, slug: str) -> Service | None:
    """An active service with its ServiceStatus row joined (absent until the detection pass
    first writes it), in one query: what a badge shows, without reading any bucket."""
    return Service.objects.filter(slug=slug, is_active=True).select_related("status").first()
