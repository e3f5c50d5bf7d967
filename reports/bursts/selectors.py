"""Read side of bursts: the counted reports of a period as the finder's arrays, and the
suspicious bursts listed for moderators with their voids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db import connection

from outages.models import Service
from outages.vocabulary import Platform
from reports.bursts.finder import (
    BIN_MINUTES,
    KINDS,
    MIN_SIZE,
    WINDOW_BINS,
    Burst,
    find_bursts,
    key_codes,
)
from reports.models import BurstKind, BurstVoid, Report, burst_key_label


@dataclass(frozen=True)
class ReportArrays:
    """Counted, unvoided reports as parallel arrays: service, minute (since the epoch),
    platform code, and each key kind's codes (-1 where absent). On PostgreSQL a code is a
    hash of the key (32 bits; 24 for origins, which are few per service), computed by the
    database so that only integers cross the wire; `burst_keys` turns the few that burst
    back into keys."""

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

    @property
    def key_label(self) -> str:
        """ "One network 3fa2b1c0": what a moderator reads and compares (burst_key_label)."""
        return burst_key_label(self.kind, self.key)


_WHERE = " WHERE received_at >= %s AND received_at < %s AND counted AND void_id IS NULL"
_LOW = 0xFFFFFFFF


def _hash32(column: str) -> str:
    """A key's 32-bit hash, 0 for an empty key (within one service, collisions between the
    few thousand keys of a day are rare, and would only merge two keys' counts)."""
    return f"(CASE WHEN {column} = '' THEN 0 ELSE hashtextextended({column}, 0) & {_LOW} END)"


# Per report two int8, each packing several fields: (service 19 bits, platform 4, minute
# since `since` 16, origin hash 24) and (network hash 32, agent hash 32), plus a third, the
# fingerprint's hash, only when fingerprints can burst at all (fingerprints_can_burst).
# Aggregated into one bytea each (int8send: 8 big-endian bytes), they cross the wire as a few
# values that numpy reads as they are: a million rows of COPY cost several times more.
_PACKED = (
    "(service_id::int8 << 44) | (coalesce(array_position(%s::text[], platform), 0)::int8 << 40)"
    " | ((floor(date_part('epoch', received_at) / 60)::int8 - %s) << 24)"
    f" | ({_hash32('origin')} & {0xFFFFFF})",
    f"({_hash32('network')} << 32) | {_hash32('agent')}",
    f"{_hash32('fingerprint')}",
)
MAX_PERIOD = timedelta(days=45)  # 16 bits of minutes


def fingerprints_can_burst() -> bool:
    """Whether one reporter can send MIN_SIZE counted reports to a service within one of the
    finder's windows. Intake counts a fingerprint's report (a problem, or a "works for me")
    once per dedupe window, so with the default 15 minutes a fingerprint counts at most a few
    times in 30 minutes and is not worth reading."""
    window = BIN_MINUTES * WINDOW_BINS
    dedupe = max(settings.INTAKE_DEDUPE_WINDOW.total_seconds() / 60, 1 / 60)
    return 2 * (window // dedupe + 1) >= MIN_SIZE


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
        if kind != "fingerprint" or fingerprints_can_burst():
            codes[kind], uniques[kind] = key_codes(values)
    return ReportArrays(
        service=np.asarray(columns[0], dtype=np.int64),
        minute=np.asarray(columns[1], dtype=np.int64),
        platform=key_codes(columns[2], empty_is_absent=False)[0],
        codes=codes,
        uniques=uniques,
    )


def _hashed_arrays(since: datetime, until: datetime) -> ReportArrays:
    """PostgreSQL: the reports' numbers packed in a few bytea values (see _PACKED)."""
    if until - since > MAX_PERIOD:
        raise ValueError(f"a period of at most {MAX_PERIOD}")
    packed = _PACKED if fingerprints_can_burst() else _PACKED[:2]
    aggregates = ", ".join(f"string_agg(int8send({p}), '')" for p in packed)
    sql = f"SELECT {aggregates} FROM {Report._meta.db_table}{_WHERE}"  # noqa: S608
    first = int(since.timestamp() // 60)
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(Platform.values), first, since, until])
        row = cursor.fetchone()
    columns = [np.frombuffer(bytes(value or b""), dtype=">i8").astype(np.int64) for value in row]
    where, net_agent = columns[0], columns[1]
    hashes = {
        "network": (net_agent >> 32) & _LOW,
        "agent": net_agent & _LOW,
        "origin": where & 0xFFFFFF,
    }
    if len(columns) > 2:
        hashes["fingerprint"] = columns[2]
    # The codes are the hashes themselves; 0 stands for no key (no embedding origin).
    codes = {kind: np.where(h != 0, h, -1) for kind, h in hashes.items()}
    return ReportArrays(
        service=where >> 44,
        minute=first + ((where >> 24) & 0xFFFF),
        platform=(where >> 40) & 0xF,
        codes=codes,
        uniques={},
        hashed=True,
    )


def burst_keys(arrays: ReportArrays, bursts: list[Burst]) -> list[str]:
    """Each burst's key as stored; on PostgreSQL one query finds them by their hashes."""
    if not arrays.hashed:
        return [str(arrays.uniques[b.kind][b.code]) for b in bursts]
    if not bursts:
        return []
    table = Report._meta.db_table
    parts: list[str] = []
    params: list[int | datetime] = []
    for i, b in enumerate(bursts):
        parts.append(
            f"(SELECT {i}, {b.kind} FROM {table} WHERE service_id = %s AND received_at >= %s"  # noqa: S608
            f" AND received_at < %s AND {_hash32(b.kind)} & %s = %s LIMIT 1)"
        )
        mask = 0xFFFFFF if b.kind == "origin" else _LOW
        params += [b.service, _at(b.start), _at(b.end), mask, b.code]
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
        )
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
        )
        for v in voids
    ]
    return listed


def _at(minute: int) -> datetime:
    return datetime.fromtimestamp(minute * 60, tz=UTC)
