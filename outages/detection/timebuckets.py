"""Minute arithmetic on UTC-aware datetimes. A bucket is labelled by the start of its minute."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta

MINUTE = timedelta(minutes=1)


def require_aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass UTC-aware datetimes")
    return moment.astimezone(UTC)


def floor_to(moment: datetime, step: timedelta) -> datetime:
    moment = require_aware(moment)
    seconds = int(step.total_seconds())
    epoch = int(moment.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def floor_to_minute(moment: datetime) -> datetime:
    return floor_to(moment, MINUTE)


def bucket_range(start: datetime, end: datetime, step: timedelta = MINUTE) -> Iterator[datetime]:
    """Bucket labels from floor(start) up to, but excluding, end."""
    label = floor_to(start, step)
    end = require_aware(end)
    while label < end:
        yield label
        label += step


def zero_fill(
    counts: Mapping[datetime, int], start: datetime, end: datetime, step: timedelta = MINUTE
) -> list[tuple[datetime, int]]:
    """Every bucket label in [start, end) with its count, 0 where nothing was reported."""
    return [(label, counts.get(label, 0)) for label in bucket_range(start, end, step)]
