"""Series as detection sees them: a service's reports per minute, whole or one segment.

A series is named by a SeriesKey: the service, a dimension ("" for all its reports, "platform"
or "country") and the segment's value. `series_counts` reads the minute buckets of many
services at once into one dense array (series x minutes), one grouped query per dimension.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

import numpy as np
from django.db.models import F, Model, QuerySet, Sum

from outages.detection.timebuckets import MINUTE, require_aware
from outages.models import Dimension, MinuteBucket, Service
from outages.vocabulary import Kind


class SeriesKey(NamedTuple):
    service_id: int
    dimension: str  # Dimension value
    value: str  # platform or country; "" for the whole service

    @property
    def label(self) -> str:
        return f"{self.dimension}:{self.value}" if self.dimension else "all"


_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class Shard:
    """Services whose id % count == index: how the pass is split across workers."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index} of {self.count} does not exist")

    @property
    def name(self) -> str:
        return f"{self.index}/{self.count}"

    def filter(self, queryset: QuerySet[_M], field: str = "service_id") -> QuerySet[_M]:
        if self.count == 1:
            return queryset
        sharded: QuerySet[_M] = queryset.alias(_shard=F(field) % self.count)
        return sharded.filter(_shard=self.index)


EVERY_SERVICE = Shard()


@dataclass(frozen=True)
class ShardPart(Shard):
    """Some services of a shard: what the early detection pass reads (those on the rise)."""

    ids: tuple[int, ...] = ()

    def filter(self, queryset: QuerySet[_M], field: str = "service_id") -> QuerySet[_M]:
        return super().filter(queryset, field).filter(**{f"{field}__in": self.ids})


@dataclass(frozen=True)
class SeriesCounts:
    """Counts of series (rows, named by keys) per minute from `start` (columns)."""

    keys: list[SeriesKey]
    values: np.ndarray  # (len(keys), minutes) float
    start: datetime

    def index(self) -> dict[SeriesKey, int]:
        return {key: i for i, key in enumerate(self.keys)}


def active_service_ids(
    *, shard: Shard = EVERY_SERVICE, ids: Iterable[int] | None = None
) -> list[int]:
    queryset = shard.filter(Service.objects.filter(is_active=True), "id")
    if ids is not None:
        queryset = queryset.filter(id__in=list(ids))
    return list(queryset.order_by("id").values_list("id", flat=True))


def series_counts(
    *,
    service_ids: Sequence[int] | None,
    shard: Shard = EVERY_SERVICE,
    start: datetime,
    end: datetime,
    kind: str = Kind.PROBLEM,
    dimensions: Sequence[str] = (Dimension.ALL, Dimension.PLATFORM, Dimension.COUNTRY),
) -> SeriesCounts:
    """Reports per minute over [start, end) of every series with any report in it, for the
    given services (or the shard's, when None). One grouped query per dimension."""
    start, end = require_aware(start), require_aware(end)
    minutes = int((end - start) // MINUTE)
    base = MinuteBucket.objects.filter(kind=kind, minute__gte=start, minute__lt=end)
    base = shard.filter(base) if service_ids is None else base.filter(service_id__in=service_ids)
    keys: dict[SeriesKey, int] = {}
    rows, columns, counts = [], [], []
    origin = start.timestamp()
    for dimension in dimensions:
        fields = ["service_id", "minute"] + ([dimension] if dimension else [])
        grouped = base.values(*fields).annotate(total=Sum("count")).values_list(*fields, "total")
        for row in grouped.order_by().iterator(chunk_size=20_000):
            key = SeriesKey(row[0], dimension, row[2] if dimension else "")
            rows.append(keys.setdefault(key, len(keys)))
            columns.append(int((row[1].timestamp() - origin) // 60))
            counts.append(row[-1])
    values = np.zeros((len(keys), minutes))
    if rows:
        np.add.at(values, (np.array(rows), np.array(columns)), np.array(counts, dtype=float))
    return SeriesCounts(keys=list(keys), values=values, start=start)


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start) // timedelta(minutes=1))
