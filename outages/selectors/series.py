"""Read side of the series: reports per minute or interval from the buckets, the chart's
typical band, breakdowns and baselines (service page, live refresh, API, badges)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.core.cache import cache
from django.db.models import Sum

from outages import figures
from outages.detection import DEFAULT_CONFIG, Baseline, band
from outages.detection.timebuckets import MINUTE, floor_to, floor_to_minute, zero_fill
from outages.models import Dimension, MinuteBucket
from outages.services.baselines import baseline_of
from outages.services.series import SeriesKey
from outages.status_cache import status_summary
from outages.vocabulary import Kind

RANGES = {  # name -> (span, resolution)
    "24h": (timedelta(hours=24), timedelta(minutes=1)),
    "7d": (timedelta(days=7), timedelta(minutes=15)),
    "30d": (timedelta(days=30), timedelta(hours=1)),
}


@dataclass(frozen=True)
class BandSeries:
    """Reports per interval with the baseline's expected value and typical band."""

    times: list[datetime]
    counts: list[int]
    expected: list[float | None]  # None: no baseline for this series (a problem type)
    lower: list[float | None]
    upper: list[float | None]
    resolution: timedelta

    def points(self) -> list[tuple[datetime, int, float | None, float | None, float | None, bool]]:
        """(time, reports, expected, lower, upper, partial) per interval; the last is partial."""
        last = len(self.times) - 1
        columns = zip(self.times, self.counts, self.expected, self.lower, self.upper, strict=True)
        return [(*point, i == last) for i, point in enumerate(columns)]


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
    # The typical range of a sum of `step // 60` minutes (the detection library's band).
    lower, upper = band(
        expected[None, :], baseline.dispersion[:1], DEFAULT_CONFIG, points=step // 60
    )
    times = [start + i * resolution for i in range(slots)]
    if problem or country:
        nothing: list[float | None] = [None] * slots
        return BandSeries(
            times=times,
            counts=counts.tolist(),
            expected=nothing,
            lower=nothing,
            upper=nothing,
            resolution=resolution,
        )
    return BandSeries(
        times=times,
        counts=counts.tolist(),
        expected=np.round(expected, 2).tolist(),
        lower=np.round(lower[0], 2).tolist(),
        upper=np.round(upper[0], 2).tolist(),
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
        )
        .values("minute")
        .annotate(total=Sum("count"))
        .values_list("minute", "total")
    )
    counts = np.zeros(int((end - start).total_seconds()) // step, dtype=np.int64)
    for minute, total in rows:
        counts[int((minute - start).total_seconds()) // step] += total
    return counts


def breakdown(*, service_id: int, since: datetime, until: datetime) -> dict[str, Counter[str]]:
    """Problem reports by platform, problem type and country over [since, until): one query
    grouped by all three, so a busy service's thousands of buckets stay in the database."""
    found: dict[str, Counter[str]] = {
        "platform": Counter(),
        "problem": Counter(),
        "country": Counter(),
    }
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


def recent_reports(*, service_id: int, now: datetime) -> dict[str, int]:
    """Problem and "works for me" reports in the 15 minutes ending with the one in progress
    (the thank-you's live count: it includes the report just sent)."""
    until = floor_to_minute(now)
    counts = figures.recent_counts(until=until, service_ids=[service_id]).get(service_id, {})
    return {"problems": counts.get(Kind.PROBLEM, 0), "works": counts.get(Kind.WORKS, 0)}


def service_baseline(*, service_id: int, at: datetime) -> Baseline:
    """The whole service's baseline (read once per page, shared by status and chart)."""
    return baseline_of(key=SeriesKey(service_id, Dimension.ALL, ""), at=at)
