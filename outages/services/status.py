"""Each service's summary row (ServiceStatus), written by the detection pass from what it has
already read: no extra bucket query. The sparkline is a rolling array of 96 quarter-hour
counts; each pass shifts it to the current quarter and rewrites the quarters its 45-minute
window covers in full."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
from django.db import transaction
from django.db.models import Max

from outages.models import Incident, ServiceStatus
from outages.services.series import SeriesKey
from outages.status_cache import status_summaries_refresh

QUARTER = 900  # seconds
SPARK = 96  # quarters: 24 hours
_WINDOW_15 = 4  # index of the 15-point window's dispersion in Baseline.dispersion


def statuses_store(
    *,
    keys: Sequence[SeriesKey],
    values: np.ndarray,
    expected: np.ndarray,
    dispersion: np.ndarray,
    times: np.ndarray,
) -> None:
    """values/expected: (series, minutes) ending with the last minute scored, at epoch
    `times`; only the keys of whole services are summarised."""
    whole = [i for i, key in enumerate(keys) if not key.dimension]
    if not whole:
        return
    ids = [keys[i].service_id for i in whole]
    stored = {
        row[0]: row[1:]
        for row in ServiceStatus.objects.filter(service_id__in=ids).values_list(
            "service_id", "level", "recent", "expected", "deviation", "sparkline", "sparkline_end"
        )
    }
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
    recent = values[whole, -15:].sum(axis=1)
    typical = expected[whole, -15:].sum(axis=1)
    sd = np.sqrt(typical * (1.0 + dispersion[whole, _WINDOW_15] * typical))
    deviation = (recent - typical) / np.maximum(sd, 1.0)
    quarters, sums = _quarters(values[whole], times)
    last_quarter = int(quarters[-1]) if len(quarters) else int(times[-1] // QUARTER)
    end = datetime.fromtimestamp(last_quarter * QUARTER, tz=UTC)
    minute = datetime.fromtimestamp(times[-1], tz=UTC)
    rows = []
    for n, service_id in enumerate(ids):
        old = stored.get(service_id)
        line = _shifted(old[4:] if old else None, last_quarter)
        for k, quarter in enumerate(quarters):
            line[SPARK - 1 - (last_quarter - int(quarter))] = int(sums[n, k])
        # Rounded so that a quiet service's row stays the same from one minute to the next:
        # only rows that changed are written.
        new = (levels.get(service_id, 0), int(recent[n]), round(float(typical[n]), 1),
               round(float(deviation[n]), 1), line, end)  # fmt: skip
        if old is not None and old == new:
            continue
        level, count, expected_, deviation_ = new[:4]
        rows.append(
            ServiceStatus(
                service_id=service_id, minute=minute, level=level, recent=count,
                expected=expected_, deviation=deviation_, sparkline=line, sparkline_end=end,
            )
        )  # fmt: skip
    ServiceStatus.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["service"],
        update_fields=["minute", "level", "recent", "expected", "deviation", "sparkline",
                       "sparkline_end"],
    )  # fmt: skip
    if rows:  # the hot reads' cached summaries, once the rows are visible to them
        changed = [row.service_id for row in rows]
        transaction.on_commit(lambda: status_summaries_refresh(service_ids=changed))


def _quarters(values: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The quarter-hours the minutes cover in full from their start (the current one counts
    as covered: it is still filling), and each row's sum over each."""
    quarter = (times // QUARTER).astype(np.int64)
    first_full = quarter[0] if times[0] % QUARTER == 0 else quarter[0] + 1
    kept = np.unique(quarter[quarter >= first_full])
    sums = (
        np.stack([values[:, quarter == q].sum(axis=1) for q in kept], axis=1)
        if len(kept)
        else (np.zeros((values.shape[0], 0)))
    )
    return kept, sums


def _shifted(old: tuple[list[int], datetime | None] | None, last_quarter: int) -> list[int]:
    """The stored sparkline moved so that its last slot is `last_quarter` (zeros if none)."""
    line, end = old or ([], None)
    if not end or len(line) != SPARK:
        return [0] * SPARK
    shift = last_quarter - int(end.timestamp() // QUARTER)
    if shift <= 0:
        return list(line)
    if shift >= SPARK:
        return [0] * SPARK
    return list(line[shift:]) + [0] * shift
