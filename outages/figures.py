"""One source per figure: the counts, peaks, ratios and sparklines every surface shows.

The service page, the incident page, the home and region rows, the embed, the badge and the
status and series APIs all read a figure through the function here that defines it, so the
same service and window give the same number everywhere.

Figures about "now" are as of the last complete minute (`as_of`): the minute the detection pass
has just scored. The summaries it writes every minute (home, embed, badge and status JSON, read
from a cache) and the pages that read the buckets live then count the same minutes.

- 15-minute count: problem reports in the 15 minutes ending with that minute (`recent_*`).
- Sparkline: problem reports per clock quarter-hour, the 96 quarters ending with the one that
  minute falls in (counted up to it); the 24 h count is its sum (`day_count`).
- Peak per 15 minutes of an incident: the highest 15-minute count, as the pages showed it,
  among the minutes of the incident (`peak_quarter`); peak / typical divides it by what the
  baseline expected over those same 15 minutes (`peak_ratio`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db.models import IntegerField, Sum
from django.db.models.functions import Cast, ExtractMinute, TruncHour

from outages.detection import Baseline
from outages.detection.timebuckets import MINUTE, floor_to, floor_to_minute
from outages.models import Incident, MinuteBucket
from outages.services.baselines import baseline_of
from outages.services.series import SeriesKey
from outages.vocabulary import Kind

RECENT_MINUTES = 15
RECENT = RECENT_MINUTES * MINUTE
QUARTER = timedelta(minutes=15)
SPARK = 96  # quarters: 24 hours


def as_of(now: datetime) -> datetime:
    """The last complete minute: what every figure about "now" counts up to (inclusive)."""
    return floor_to_minute(now) - MINUTE


# --- The 15-minute count -----------------------------------------------------------------


def recent_start(until: datetime) -> datetime:
    """The first of the 15 minutes ending with `until`."""
    return until - (RECENT_MINUTES - 1) * MINUTE


def recent_of(per_minute: np.ndarray) -> np.ndarray:
    """The 15-minute count (or expected count) of rows of per-minute values whose last column
    is the minute counted up to."""
    summed: np.ndarray = np.asarray(per_minute)[..., -RECENT_MINUTES:].sum(axis=-1)
    return summed


def recent_counts(
    *,
    until: datetime,
    service_ids: Iterable[int] | None = None,
    country: str | None = None,
    kind: str | None = None,
) -> dict[int, dict[str, int]]:
    """Reports of the 15 minutes ending with `until`, per service and kind (one query for any
    number of services); `country` narrows to the reports from one country."""
    rows = MinuteBucket.objects.filter(
        minute__gte=recent_start(until), minute__lte=until, **({"kind": kind} if kind else {})
    )
    if service_ids is not None:
        rows = rows.filter(service_id__in=list(service_ids))
    if country is not None:
        rows = rows.filter(country=country)
    found: dict[int, dict[str, int]] = {}
    grouped = rows.values("service_id", "kind").annotate(total=Sum("count")).order_by()
    for service_id, kind_, total in grouped.values_list("service_id", "kind", "total"):
        found.setdefault(service_id, {})[kind_] = int(total)
    return found


def recent_times(until: datetime) -> np.ndarray:
    """Epoch seconds of the 15 minutes ending with `until` (to ask a baseline about them)."""
    return recent_start(until).timestamp() + 60.0 * np.arange(RECENT_MINUTES)


def expected_over(baseline: Baseline, *, start: datetime, minutes: int) -> float:
    """What the (one-series) baseline expects over `minutes` minutes from `start`."""
    times = start.timestamp() + 60.0 * np.arange(minutes)
    return float(baseline.expected(times)[0].sum())


# --- The sparkline and the 24 h count ----------------------------------------------------


def spark_end(until: datetime) -> datetime:
    """Start of the sparkline's last quarter: the one `until` falls in."""
    return floor_to(until, QUARTER)


def spark_start(until: datetime) -> datetime:
    """Start of the sparkline's first quarter."""
    return spark_end(until) - (SPARK - 1) * QUARTER


def sparkline_shift(line: Sequence[int], end: datetime | None, until: datetime) -> list[int]:
    """A stored sparkline (its last quarter starting at `end`) as of `until`: quarters that
    have left the 24 hours dropped, new (empty) ones added."""
    if end is None or len(line) != SPARK:
        return [0] * SPARK
    shift = int((spark_end(until) - end) // QUARTER)
    if shift <= 0:
        return list(line)
    if shift >= SPARK:
        return [0] * SPARK
    return list(line[shift:]) + [0] * shift


def day_count(line: Sequence[int]) -> int:
    """The 24 h count: problem reports over the sparkline's quarters."""
    return int(sum(line))


def sparklines(*, service_ids: Iterable[int], until: datetime) -> dict[int, list[int]]:
    """The services' sparklines from the buckets, whatever wrote them (seeding, a backfill,
    a replay, live intake): one query grouped by service and quarter, so ~96 rows each."""
    ids = list(service_ids)
    lines = {service_id: [0] * SPARK for service_id in ids}
    if not ids:
        return lines
    first = spark_start(until)
    grouped = (
        MinuteBucket.objects.filter(
            service_id__in=ids, kind=Kind.PROBLEM, minute__gte=first, minute__lte=until
        )
        .annotate(
            hour=TruncHour("minute", tzinfo=UTC),
            quarter=Cast(ExtractMinute("minute", tzinfo=UTC), IntegerField()) / 15,
        )
        .values("service_id", "hour", "quarter")
        .annotate(total=Sum("count"))
        .order_by()
        .values_list("service_id", "hour", "quarter", "total")
    )
    for service_id, hour, quarter, total in grouped:
        at = hour.replace(tzinfo=UTC) if hour.tzinfo is None else hour
        slot = int((at + int(quarter) * QUARTER - first) // QUARTER)
        if 0 <= slot < SPARK:
            lines[service_id][slot] += int(total)
    return lines


def quarter_sums(values: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The clock quarters that per-minute rows (at epoch `times`) cover from their start (the
    last one may be still filling), and each row's sum over each: what a pass that read those
    minutes knows of the sparkline."""
    step = QUARTER.total_seconds()
    quarter = (times // step).astype(np.int64)
    first_full = quarter[0] if times[0] % step == 0 else quarter[0] + 1
    kept = np.unique(quarter[quarter >= first_full])
    sums = (
        np.stack([values[:, quarter == q].sum(axis=1) for q in kept], axis=1)
        if len(kept)
        else np.zeros((values.shape[0], 0))
    )
    return kept, sums


# --- An incident's peak ------------------------------------------------------------------


@dataclass(frozen=True)
class Peak:
    """The busiest 15 minutes of an incident: their first minute, their middle and count."""

    start: datetime
    middle: datetime
    count: int


def peak_quarter(per_minute: Mapping[datetime, int], *, start: datetime, end: datetime) -> Peak:
    """The highest 15-minute count ending at a minute in [start, end), from per-minute counts
    that include the 14 minutes before `start` (a 15-minute count then is what the pages
    showed during the incident's first minutes)."""
    first = start - (RECENT_MINUTES - 1) * MINUTE
    length = max(-int((first - end) // MINUTE), RECENT_MINUTES)  # a partial last minute counts
    series = np.zeros(length)
    for minute, count in per_minute.items():
        at = int((minute - first) // MINUTE)
        if 0 <= at < length:
            series[at] = count
    sums = np.convolve(series, np.ones(RECENT_MINUTES), mode="valid")
    best = int(np.argmax(sums))
    window = first + best * MINUTE
    return Peak(start=window, middle=window + 7 * MINUTE, count=int(sums[best]))


def peak_ratio(count: float, expected: float) -> float | None:
    """Peak / typical to a tenth (the number the pages format: outages.summaries.ratio_text);
    None without an expectation to compare with."""
    return round(count / expected, 1) if expected > 0 else None


def incident_peak_ratio(incident: Incident) -> float | None:
    """Peak / typical of an incident: its peak 15-minute count against what its series'
    baseline expects over those 15 minutes."""
    if not incident.peak_quarter_count or incident.peak_quarter_at is None:
        return None
    start = incident.peak_quarter_at - 7 * MINUTE
    key = SeriesKey(incident.service_id, incident.dimension, incident.value)
    expected = expected_over(baseline_of(key=key, at=start), start=start, minutes=RECENT_MINUTES)
    return peak_ratio(incident.peak_quarter_count, expected)
