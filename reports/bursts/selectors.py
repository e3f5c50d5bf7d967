"""Read side of bursts: the counted reports of a period as the finder's arrays, and the
suspicious bursts listed for moderators with their voids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.db import connection

from outages.models import Service
from reports.bursts.finder import KINDS, Burst, find_bursts, key_codes
from reports.models import BurstVoid, Report

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class ReportArrays:
    """Counted, unvoided reports as parallel arrays, and each kind's code -> key table."""

    service: np.ndarray
    minute: np.ndarray  # minutes since the epoch
    codes: dict[str, np.ndarray]
    uniques: dict[str, np.ndarray]

    def key(self, burst: Burst) -> str:
        return str(self.uniques[burst.kind][burst.code])


@dataclass(frozen=True)
class SuspiciousBurst:
    """A burst as moderators see it: service, key and window, size and share of the spike,
    and the active void that covers it, if any."""

    service: Service
    kind: str
    key: str
    start: datetime
    end: datetime
    size: int
    total: int
    expected: float
    void: BurstVoid | None = None

    @property
    def share(self) -> float:
        return self.size / self.total if self.total else 0.0

    @property
    def kind_label(self) -> str:
        from reports.models import BurstKind

        return str(BurstKind(self.kind).label)


def report_arrays(*, since: datetime, until: datetime) -> ReportArrays:
    """The counted, unvoided reports received in [since, until), in one query."""
    table = Report._meta.db_table
    if connection.vendor == "postgresql":
        minute = "floor(extract(epoch FROM received_at) / 60)::bigint"
    else:  # SQLite stores UTC datetimes as text
        minute = "CAST(strftime('%%s', received_at) AS INTEGER) / 60"
    sql = (
        f"SELECT service_id, {minute}, fingerprint, network, agent, origin FROM {table}"  # noqa: S608
        " WHERE received_at >= %s AND received_at < %s AND counted AND void_id IS NULL"
    )
    params = [connection.ops.adapt_datetimefield_value(v) for v in (since, until)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * 6
    codes: dict[str, np.ndarray] = {}
    uniques: dict[str, np.ndarray] = {}
    for kind, values in zip(KINDS, columns[2:], strict=True):
        codes[kind], uniques[kind] = key_codes(values)
    return ReportArrays(
        service=np.asarray(columns[0], dtype=np.int64),
        minute=np.asarray(columns[1], dtype=np.int64),
        codes=codes,
        uniques=uniques,
    )


def bursts_suspicious(*, since: datetime, until: datetime) -> list[SuspiciousBurst]:
    """Suspicious bursts among the reports of [since, until), largest first, then the voids
    of that period (so that a voided burst stays listed, with its undo). Three queries."""
    arrays = report_arrays(since=since, until=until)
    found = find_bursts(service=arrays.service, minute=arrays.minute, keys=arrays.codes)
    voids = list(
        BurstVoid.objects.filter(undone_at__isnull=True, end__gt=since, start__lt=until)
        .select_related("service")
        .order_by("-size", "start")
    )
    services = Service.objects.in_bulk({b.service for b in found})
    listed = [
        SuspiciousBurst(
            service=services[b.service],
            kind=b.kind,
            key=arrays.key(b),
            start=_at(b.start),
            end=_at(b.end),
            size=b.size,
            total=b.total,
            expected=b.expected,
        )  # fmt: skip
        for b in found
    ]
    listed += [
        SuspiciousBurst(
            service=v.service,
            kind=v.kind,
            key=v.key,
            start=v.start,
            end=v.end,
            size=v.size,
            total=v.total,
            expected=0.0,
            void=v,
        )  # fmt: skip
        for v in voids
    ]
    return listed


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)
