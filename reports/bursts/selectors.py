"""Read side of bursts: the counted reports of a period as the finder's arrays, and the
suspicious bursts listed for moderators with their voids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from django.db import connection

from outages.models import Service
from outages.vocabulary import Platform
from reports.bursts.finder import KINDS, Burst, find_bursts, key_codes
from reports.models import BurstKind, BurstVoid, Report


@dataclass(frozen=True)
class ReportArrays:
    """Counted, unvoided reports as parallel arrays: service, minute (since the epoch),
    platform code, and each key kind's codes (-1 where absent). On PostgreSQL a code stands
    for a 32-bit hash of the key, computed by the database so that only integers cross the
    wire; `burst_keys` turns the few that burst back into keys."""

    service: np.ndarray
    minute: np.ndarray
    platform: np.ndarray
    codes: dict[str, np.ndarray]
    uniques: dict[str, np.ndarray]  # code -> key (SQLite; on PostgreSQL codes are hashes)
    hashed: bool = False


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
        return str(BurstKind(self.kind).label)


_WHERE = " WHERE received_at >= %s AND received_at < %s AND counted AND void_id IS NULL"
_LOW = 0xFFFFFFFF


def _hash32(column: str) -> str:
    """A key's 32-bit hash, 0 for an empty key (within one service, collisions between the
    few thousand keys of a day are rare, and would only merge two keys' counts)."""
    return f"(CASE WHEN {column} = '' THEN 0 ELSE hashtextextended({column}, 0) & {_LOW} END)"


# Three int8 per report, each the concatenation of two 32-bit halves: (service, platform
# and minute since `since`), (network, agent), (fingerprint, origin). Aggregated into one
# bytea each (int8send: 8 big-endian bytes), they cross the wire as three values that numpy
# reads as they are; a million rows of COPY cost several times more.
_PACKED = (
    "(service_id::int8 << 32) | (coalesce(array_position(%s::text[], platform), 0)::int8 << 24)"
    " | (floor(date_part('epoch', received_at) / 60)::int8 - %s)",
    f"({_hash32('network')} << 32) | {_hash32('agent')}",
    f"({_hash32('fingerprint')} << 32) | {_hash32('origin')}",
)


def report_arrays(*, since: datetime, until: datetime) -> ReportArrays:
    """The counted, unvoided reports received in [since, until), in one query."""
    if connection.vendor == "postgresql":
        return _hashed_arrays(since, until)
    sql = (
        "SELECT service_id, CAST(strftime('%%s', received_at) AS INTEGER) / 60, platform,"  # noqa: S608
        f" {', '.join(KINDS)} FROM {Report._meta.db_table}{_WHERE}"
    )
    params = [connection.ops.adapt_datetimefield_value(v) for v in (since, until)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    columns = list(zip(*rows, strict=True)) if rows else [()] * (3 + len(KINDS))
    codes: dict[str, np.ndarray] = {}
    uniques: dict[str, np.ndarray] = {}
    for kind, values in zip(KINDS, columns[3:], strict=True):
        codes[kind], uniques[kind] = key_codes(values)
    return ReportArrays(
        service=np.asarray(columns[0], dtype=np.int64),
        minute=np.asarray(columns[1], dtype=np.int64),
        platform=key_codes(columns[2], empty_is_absent=False)[0],
        codes=codes,
        uniques=uniques,
    )


def _hashed_arrays(since: datetime, until: datetime) -> ReportArrays:
    """PostgreSQL: the reports' numbers packed in three bytea values (see _PACKED)."""
    aggregates = ", ".join(f"string_agg(int8send({packed}), '')" for packed in _PACKED)
    sql = f"SELECT {aggregates} FROM {Report._meta.db_table}{_WHERE}"  # noqa: S608
    first = int(since.timestamp() // 60)
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(Platform.values), first, since, until])
        row = cursor.fetchone()
    where, net_agent, fp_origin = (
        np.frombuffer(bytes(value or b""), dtype=">i8").astype(np.int64) for value in row
    )
    codes, uniques = {}, {}
    for kind, packed, shift in (
        ("network", net_agent, 32), ("agent", net_agent, 0),
        ("fingerprint", fp_origin, 32), ("origin", fp_origin, 0),
    ):  # fmt: skip
        hashes = (packed >> shift) & _LOW
        codes[kind] = np.where(hashes != 0, hashes, -1)  # 0: no key (no embedding origin)
        uniques[kind] = np.zeros(0, dtype=np.int64)  # the codes are the hashes
    return ReportArrays(
        service=where >> 32,
        minute=first + (where & 0xFFFFFF),
        platform=(where >> 24) & 0xFF,
        codes=codes,
        uniques=uniques,
        hashed=True,
    )


def burst_keys(arrays: ReportArrays, bursts: list[Burst]) -> list[str]:
    """Each burst's key as stored; on PostgreSQL one query finds them by their hashes."""
    if not arrays.hashed:
        return [str(arrays.uniques[b.kind][b.code]) for b in bursts]
    if not bursts:
        return []
    table = Report._meta.db_table
    parts, params = [], []
    for i, b in enumerate(bursts):
        parts.append(
            f"(SELECT {i}, {b.kind} FROM {table} WHERE service_id = %s AND received_at >= %s"  # noqa: S608
            f" AND received_at < %s AND {_hash32(b.kind)} = %s LIMIT 1)"
        )
        params += [b.service, _at(b.start), _at(b.end), b.code]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = dict(cursor.fetchall())
    return [found.get(i, "") for i in range(len(bursts))]


def bursts_find(*, since: datetime, until: datetime) -> list[tuple[Burst, str]]:
    """The finder over the counted, unvoided reports of [since, until): (burst, key)."""
    arrays = report_arrays(since=since, until=until)
    found = find_bursts(
        service=arrays.service, minute=arrays.minute, keys=arrays.codes, platform=arrays.platform
    )
    return list(zip(found, burst_keys(arrays, found), strict=True))


def bursts_suspicious(*, since: datetime, until: datetime) -> list[SuspiciousBurst]:
    """Suspicious bursts among the reports of [since, until), largest first, then the voids
    of that period (so that a voided burst stays listed, with its undo). Four queries."""
    found = bursts_find(since=since, until=until)
    voids = list(
        BurstVoid.objects.filter(undone_at__isnull=True, end__gt=since, start__lt=until)
        .select_related("service")
        .order_by("-size", "start")
    )
    services = Service.objects.in_bulk({b.service for b, _ in found})
    listed = [
        SuspiciousBurst(
            service=services[b.service],
            kind=b.kind,
            key=key,
            start=_at(b.start),
            end=_at(b.end),
            size=b.size,
            total=b.total,
            expected=b.expected,
        )  # fmt: skip
        for b, key in found
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
