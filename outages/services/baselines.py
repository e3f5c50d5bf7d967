"""Fit, store and load the baselines of every series, from the minute buckets.

Which series get a baseline: every active service as a whole, and each of its platforms and
countries that is *significant*: at least SEGMENT_MIN_REPORTS reports and SEGMENT_MIN_SHARE
of the service's reports over the history. Smaller segments have too few reports to tell an
outage from noise; their reports still count in the service's own series.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import transaction

from outages.detection import DEFAULT_CONFIG, Baseline, fit_baseline, prior_baseline
from outages.detection.profile import slots_per_week
from outages.detection.timebuckets import floor_to_minute
from outages.models import Dimension, SeriesBaseline
from outages.services.series import (
    EVERY_SERVICE,
    SeriesKey,
    Shard,
    active_service_ids,
    series_counts,
)

HISTORY = timedelta(days=30)
SEGMENT_MIN_REPORTS = 200
SEGMENT_MIN_SHARE = 0.02
INTERVAL = 60.0  # seconds: one point per minute
# Services fitted at once: bounds a fit's memory to about this many x 10 series x 30 days.
_CHUNK = 40
_SLOTS = slots_per_week(DEFAULT_CONFIG.slot_seconds)


def baselines_fit(
    *,
    now: datetime,
    service_ids: Sequence[int] | None = None,
    shard: Shard = EVERY_SERVICE,
    history: timedelta = HISTORY,
) -> int:
    """Fit and store the baselines of the given services (else the shard's active ones) from
    the minute buckets of [now - history, now). Returns the number of series fitted."""
    end = floor_to_minute(now)
    ids = active_service_ids(shard=shard, ids=service_ids)
    fitted = 0
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i : i + _CHUNK]
        counts = series_counts(service_ids=chunk, start=end - history, end=end)
        keys, values = _significant(chunk, counts.keys, counts.values)
        values = _before_first_report_missing(keys, values)
        baseline = fit_baseline(values, start=counts.start.timestamp(), interval=INTERVAL)
        baselines_store(keys=keys, baseline=baseline, shares=_shares(keys, values))
        fitted += len(keys)
    return fitted


def baselines_store(*, keys: list[SeriesKey], baseline: Baseline, shares: Sequence[float]) -> None:
    """Replace the stored baselines of these keys' services with these."""
    fitted_at = datetime.fromtimestamp(baseline.fitted_at, tz=UTC)
    rows = [
        SeriesBaseline(
            service_id=key.service_id,
            dimension=key.dimension,
            value=key.value,
            level=float(baseline.level[i]),
            share=float(shares[i]),
            profile=baseline.profile[i].astype("<f4").tobytes(),
            params=_pack(baseline, i),
            fitted_at=fitted_at,
        )
        for i, key in enumerate(keys)
    ]
    with transaction.atomic():
        services = {key.service_id for key in keys}
        SeriesBaseline.objects.filter(service_id__in=services).delete()
        SeriesBaseline.objects.bulk_create(rows, batch_size=500)


def baselines_load(
    *, keys: Iterable[SeriesKey] | None = None, shard: Shard = EVERY_SERVICE, at: datetime
) -> tuple[list[SeriesKey], Baseline, dict[SeriesKey, float]]:
    """The stored baselines of the shard's series (and priors for `keys` that have none), as
    one Baseline in the order of the returned keys, with each segment's usual share."""
    rows = shard.filter(SeriesBaseline.objects.all()).values_list(
        "service_id", "dimension", "value", "level", "share", "profile", "params", "fitted_at"
    )
    found: list[SeriesKey] = []
    levels, shares, profiles, params, fitted = [], {}, [], [], []
    for service_id, dimension, value, level, share, profile, packed, fitted_at in rows.iterator(
        chunk_size=5000
    ):
        key = SeriesKey(service_id, dimension, value)
        found.append(key)
        levels.append(level)
        shares[key] = share
        profiles.append(profile)
        params.append(packed)
        fitted.append(fitted_at.timestamp())
    stored = _unpack(levels, profiles, params, fitted, fallback=at)
    known = set(found)
    missing = [key for key in dict.fromkeys(keys or ()) if key not in known]
    if missing:
        prior = prior_baseline(len(missing), interval=INTERVAL, at=at.timestamp())
        stored = _concat(stored, prior) if found else prior
        found += missing
        shares.update({key: 1.0 for key in missing})
    return found, stored, shares


def baseline_of(*, key: SeriesKey, at: datetime) -> Baseline:
    """One series' stored baseline, or the prior when it has none (a new service)."""
    row = (
        SeriesBaseline.objects.filter(
            service_id=key.service_id, dimension=key.dimension, value=key.value
        )
        .values_list("level", "profile", "params", "fitted_at")
        .first()
    )
    if row is None or not row[2]:  # none yet, or a share kept without a fit
        return prior_baseline(1, interval=INTERVAL, at=at.timestamp())
    level, profile, packed, fitted_at = row
    return _unpack([level], [profile], [packed], [fitted_at.timestamp()], fallback=at)


def _significant(
    service_ids: Sequence[int], keys: list[SeriesKey], values: np.ndarray
) -> tuple[list[SeriesKey], np.ndarray]:
    """Every service's whole series (zeros when it had no report) and its significant
    segments, with their rows of values."""
    index = {key: i for i, key in enumerate(keys)}
    totals = values.sum(axis=1)
    chosen: list[SeriesKey] = []
    rows: list[np.ndarray] = []
    empty = np.zeros(values.shape[1])
    for service_id in service_ids:
        whole = SeriesKey(service_id, Dimension.ALL, "")
        chosen.append(whole)
        rows.append(values[index[whole]] if whole in index else empty)
    for key, i in index.items():
        if not key.dimension:
            continue
        service_total = totals[index[SeriesKey(key.service_id, Dimension.ALL, "")]]
        if totals[i] >= SEGMENT_MIN_REPORTS and totals[i] >= SEGMENT_MIN_SHARE * service_total:
            chosen.append(key)
            rows.append(values[i])
    return chosen, np.array(rows).reshape(len(chosen), values.shape[1])


def _before_first_report_missing(keys: list[SeriesKey], values: np.ndarray) -> np.ndarray:
    """Minutes before a service's first report are unknown, not quiet: a service added (or
    first reported) a week ago has a week of history, not three weeks of zeros before it."""
    values = values.copy()
    reported = values > 0
    first = {
        key.service_id: int(reported[i].argmax()) if reported[i].any() else values.shape[1]
        for i, key in enumerate(keys)
        if not key.dimension
    }
    for i, key in enumerate(keys):
        values[i, : first[key.service_id]] = np.nan
    return values


def _shares(keys: list[SeriesKey], values: np.ndarray) -> list[float]:
    totals = np.nansum(values, axis=1)
    whole = {key.service_id: totals[i] for i, key in enumerate(keys) if not key.dimension}
    return [
        float(totals[i] / whole[key.service_id]) if key.dimension and whole[key.service_id] else 1.0
        for i, key in enumerate(keys)
    ]


def _unpack(
    levels: Sequence[float],
    profiles: Sequence[bytes | memoryview],
    params: Sequence[bytes | memoryview],
    fitted: Sequence[float],
    *,
    fallback: datetime,
) -> Baseline:
    """Stored rows (packed by baselines_store) back into one Baseline."""
    windows = len(DEFAULT_CONFIG.windows)
    unpacked = [np.frombuffer(bytes(p), dtype="<f8") for p in params]
    stacked = np.array(unpacked).reshape(len(levels), 2 + 3 * windows)
    curves = [np.frombuffer(bytes(p), dtype="<f4") for p in profiles]
    return Baseline(
        profile=np.array(curves, dtype=float).reshape(len(levels), _SLOTS),
        level=np.array(levels, dtype=float),
        dispersion=stacked[:, : 1 + windows],
        tail_rate=stacked[:, 1 + windows : 1 + 2 * windows],
        tail_scale=stacked[:, 1 + 2 * windows : 1 + 3 * windows],
        bin_dispersion=stacked[:, -1],
        interval=INTERVAL,
        slot_seconds=DEFAULT_CONFIG.slot_seconds,
        fitted_at=max(fitted, default=fallback.timestamp()),
    )


def _pack(baseline: Baseline, i: int) -> bytes:
    return (
        np.concatenate(
            [
                baseline.dispersion[i],
                baseline.tail_rate[i],
                baseline.tail_scale[i],
                [baseline.bin_dispersion[i]],
            ]
        )
        .astype("<f8")
        .tobytes()
    )


def _concat(a: Baseline, b: Baseline) -> Baseline:
    return Baseline(
        profile=np.concatenate([a.profile, b.profile]),
        level=np.concatenate([a.level, b.level]),
        dispersion=np.concatenate([a.dispersion, b.dispersion]),
        tail_rate=np.concatenate([a.tail_rate, b.tail_rate]),
        tail_scale=np.concatenate([a.tail_scale, b.tail_scale]),
        bin_dispersion=np.concatenate([a.bin_dispersion, b.bin_dispersion]),
        interval=a.interval,
        slot_seconds=a.slot_seconds,
        fitted_at=max(a.fitted_at, b.fitted_at),
    )
