"""Each service's summary row (ServiceStatus): its level, 15-minute count against the
baseline, and sparkline, as outages.figures defines them.

The detection pass writes the rows every minute from what it has already read (no extra bucket
query): the sparkline is a rolling array of 96 quarter-hour counts that each pass shifts to the
current quarter, rewriting the quarters its window covers in full. A row the pass has no
sparkline for (a new service, or history written behind the pass: a seed, a backfill, a replay)
is built from the buckets, with one grouped query for all such services; `statuses_rebuild`
rebuilds whole rows from the buckets the same way."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

import numpy as np
from django.db import transaction
from django.db.models import Max

from outages import figures
from outages.detection.timebuckets import MINUTE
from outages.models import Dimension, Incident, Service, ServiceStatus
from outages.services.baselines import baselines_load
from outages.services.series import SeriesKey
from outages.status_cache import status_summaries_refresh
from outages.vocabulary import Kind

_WINDOW_15 = 4  # index of the 15-point window's dispersion in Baseline.dispersion
# Sparklines rebuilt from the buckets by one pass at most (a day of buckets each: ~0.5 s per
# 200 busy services); the others keep theirs until a later pass rebuilds them.
REBUILDS_PER_PASS = 200
_FIELDS = ["minute", "level", "recent", "expected", "deviation", "sparkline", "sparkline_end"]


def statuses_store(
    *,
    keys: Sequence[SeriesKey],
    values: np.ndarray,
    expected: np.ndarray,
    dispersion: np.ndarray,
    times: np.ndarray,
) -> None:
    """values/expected: (series, minutes) ending with the last minute scored, at epoch
    `times`; only the keys of whole services are summarised. A row already written as of a
    later quarter (by the live pass, while a backfill scores the past) is left alone."""
    whole = [i for i, key in enumerate(keys) if not key.dimension]
    if not whole:
        return
    until = datetime.fromtimestamp(times[-1], tz=UTC)
    end = figures.spark_end(until)
    stored = _stored([keys[i].service_id for i in whole])
    whole = [i for i in whole if not _newer(stored.get(keys[i].service_id), end)]
    ids = [keys[i].service_id for i in whole]
    if not ids:
        return
    quarters, sums = figures.quarter_sums(values[whole], times)
    step = figures.QUARTER.total_seconds()
    # The first quarter this pass counts in full: a stored line ending before the quarter
    # prior to it misses quarters (passes skipped, history written behind them).
    covered = datetime.fromtimestamp(int(quarters[0]) * step, tz=UTC) if len(quarters) else end
    unknown = {s for s in ids if not _continues(stored.get(s), covered)}
    rebuilt = figures.sparklines(service_ids=sorted(unknown)[:REBUILDS_PER_PASS], until=until)
    last = int(end.timestamp() // step)
    lines, ends = [], []
    for n, service_id in enumerate(ids):
        if service_id in unknown:  # rebuilt now, or kept as stored until a later pass
            old_line, old_end = stored[service_id][4:] if service_id in stored else ([], None)
            lines.append(rebuilt.get(service_id, old_line))
            ends.append(end if service_id in rebuilt else old_end)
            continue
        line_, line_end = stored[service_id][4:]
        line = figures.sparkline_shift(line_, line_end, until)
        for k, quarter in enumerate(quarters):
            line[figures.SPARK - 1 - (last - int(quarter))] = int(sums[n, k])
        lines.append(line)
        ends.append(end)
    _write(
        ids=ids,
        until=until,
        stored=stored,
        recent=figures.recent_of(values[whole]),
        typical=figures.recent_of(expected[whole]),
        dispersion=dispersion[whole, _WINDOW_15],
        lines=lines,
        ends=ends,
    )


def _newer(row: tuple | None, end: datetime) -> bool:  # type: ignore[type-arg]
    return row is not None and row[5] is not None and row[5] > end


def _continues(row: tuple | None, covered: datetime) -> bool:  # type: ignore[type-arg]
    """Whether a stored row's sparkline runs up to the quarters a pass counts from `covered`."""
    if row is None or row[5] is None or len(row[4]) != figures.SPARK:
        return False
    return bool(row[5] + figures.QUARTER >= covered)


def statuses_rebuild(*, now: datetime, service_ids: Iterable[int] | None = None) -> int:
    """Rebuild the summary rows of these services (default: every active one) from the
    buckets, as of the last complete minute: after history was written behind the detection
    pass (a seed, a backfill, a replay). A few grouped queries whatever the number of
    services. Returns the number of rows written."""
    services = Service.objects.filter(is_active=True)
    if service_ids is not None:
        services = services.filter(id__in=list(service_ids))
    ids = list(services.order_by("id").values_list("id", flat=True))
    if not ids:
        return 0
    until = figures.as_of(now)
    wanted = [SeriesKey(service_id, Dimension.ALL, "") for service_id in ids]
    loaded, baseline, _ = baselines_load(keys=wanted, at=until + MINUTE)
    index = {key: i for i, key in enumerate(loaded)}
    baseline = baseline.take([index[key] for key in wanted])
    counts = figures.recent_counts(until=until, service_ids=ids, kind=Kind.PROBLEM)
    lines = figures.sparklines(service_ids=ids, until=until)
    return _write(
        ids=ids,
        until=until,
        stored=_stored(ids),
        recent=np.array([counts.get(s, {}).get(Kind.PROBLEM, 0) for s in ids], dtype=float),
        typical=baseline.expected(figures.recent_times(until)).sum(axis=1),
        dispersion=baseline.dispersion[:, _WINDOW_15],
        lines=[lines[s] for s in ids],
        ends=[figures.spark_end(until)] * len(ids),
        force=True,
    )


def _stored(ids: list[int]) -> dict[int, tuple]:  # type: ignore[type-arg]
    return {
        row[0]: row[1:]
        for row in ServiceStatus.objects.filter(service_id__in=ids).values_list(
            "service_id", "level", "recent", "expected", "deviation", "sparkline", "sparkline_end"
        )
    }


def _write(
    *,
    ids: list[int],
    until: datetime,
    stored: dict[int, tuple],  # type: ignore[type-arg]
    recent: np.ndarray,
    typical: np.ndarray,
    dispersion: np.ndarray,
    lines: list[list[int]],
    ends: list[datetime | None],
    force: bool = False,
) -> int:
    """Upsert the rows that changed (all of them when `force`), then refresh their cached
    summaries once the transaction commits."""
    levels = dict(
        Incident.objects.filter(
            service_id__in=ids,
            status=Incident.Status.OPEN,
            visibility=Incident.Visibility.PUBLIC,
        )
        .values("service_id")
        .annotate(level=Max("level"))
        .values_list("service_id", "level")
    )
    sd = np.sqrt(typical * (1.0 + dispersion * typical))
    deviation = (recent - typical) / np.maximum(sd, 1.0)
    rows = []
    for n, service_id in enumerate(ids):
        # Rounded so that a quiet service's row stays the same from one minute to the next:
        # only rows that changed are written.
        new = (
            levels.get(service_id, 0),
            int(recent[n]),
            round(float(typical[n]), 1),
            round(float(deviation[n]), 1),
            lines[n],
            ends[n],
        )
        if not force and stored.get(service_id) == new:
            continue
        level, count, expected_, deviation_ = new[:4]
        rows.append(
            ServiceStatus(
                service_id=service_id,
                minute=until,
                level=level,
                recent=count,
                expected=expected_,
                deviation=deviation_,
                sparkline=lines[n],
                sparkline_end=ends[n],
            )
        )
    ServiceStatus.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["service"],
        update_fields=_FIELDS,
    )
    if rows:  # the hot reads' cached summaries, once the rows are visible to them
        changed = [row.service_id for row in rows]
        transaction.on_commit(lambda: status_summaries_refresh(service_ids=changed))
    return len(rows)
