"""Bar 2: reports per second moved from the Redis stream into raw rows and minute buckets by
one process calling report_drain, against a raw psycopg COPY of the same rows.

The reference is COPY into a table shaped like the reports table, with its primary key and
indexes: the least work any store of these rows into that table does. COPY into a bare
scratch table (no key, no index) and into one with the primary key only are printed beside it.

Runs inside the bench process (Django set up on the bench database). The rows imitate an
outage: one service takes 40% of the reports, over the last two minutes.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from operator import attrgetter

import psycopg
from redis import Redis

from reports.models import Report
from reports.rows import ReportRow, encode
from reports.services import report_drain

STREAM = "bench:bucketing"
GROUP = "bucketing"
_PLATFORMS = {"web": 40, "ios": 25, "android": 25, "desktop": 5, "api": 3, "other": 2}
_PROBLEMS = {
    "login": 30,
    "loading": 25,
    "connection": 15,
    "posting": 10,
    "messaging": 8,
    "notifications": 5,
    "payments": 4,
    "other": 3,
}
_COUNTRIES = {
    "US": 30,
    "GB": 10,
    "DE": 8,
    "FR": 8,
    "BR": 7,
    "IN": 7,
    "": 6,
    "JP": 5,
    "CA": 5,
    "ES": 4,
    "IT": 4,
    "MX": 3,
    "AU": 3,
}


@dataclass(frozen=True)
class Result:
    rows: int
    drain_per_second: float
    drain_seconds: float
    copy_per_second: float  # into a scratch table: the columns only
    copy_pk_per_second: float  # the columns and the primary key
    copy_indexed_per_second: float  # the reports table's shape: primary key and indexes
    batch_size: int


def measure(
    *,
    redis: Redis,
    dsn: str,
    service_ids: list[int],
    now: datetime,
    n: int = 100_000,
    batch_size: int = 1000,
) -> Result:
    rows = outage_rows(n, service_ids=service_ids, now=now)
    redis.delete(STREAM)
    _prefill(redis, rows)
    seconds = _drain(redis, n=n, batch_size=batch_size)
    copy = _copy(dsn, rows, shape="bare")
    copy_pk = _copy(dsn, rows, shape="pk")
    copy_indexed = _copy(dsn, rows, shape="indexed")
    return Result(
        rows=n,
        drain_per_second=n / seconds,
        drain_seconds=seconds,
        copy_per_second=n / copy,
        copy_pk_per_second=n / copy_pk,
        copy_indexed_per_second=n / copy_indexed,
        batch_size=batch_size,
    )


def outage_rows(n: int, *, service_ids: list[int], now: datetime) -> list[ReportRow]:
    rnd = random.Random(20261124)  # noqa: S311

    def weighted(table: dict[str, int], k: int) -> list[str]:
        return rnd.choices(list(table), weights=list(table.values()), k=k)

    services = rnd.choices(service_ids, weights=[40] + [1] * (len(service_ids) - 1), k=n)
    platforms, problems = weighted(_PLATFORMS, n), weighted(_PROBLEMS, n)
    countries = weighted(_COUNTRIES, n)
    rows = []
    for i in range(n):
        works = rnd.random() < 0.1
        rows.append(
            ReportRow(
                id=uuid.UUID(int=rnd.getrandbits(128), version=4),
                service_id=services[i],
                kind="works" if works else "problem",
                platform=platforms[i],
                problem="" if works else problems[i],
                country=countries[i],
                subdivision="",
                source="api",
                origin="",
                received_at=now - timedelta(seconds=rnd.uniform(0, 120)),
                fingerprint=f"{rnd.getrandbits(128):032x}",
                network=f"{rnd.getrandbits(128):032x}",
                agent=f"{rnd.getrandbits(6):032x}",
                counted=rnd.random() < 0.9,
            )
        )
    return rows


def _prefill(redis: Redis, rows: list[ReportRow]) -> None:
    """The entries RedisBuffer's Lua script would have added."""
    for start in range(0, len(rows), 1000):
        pipe = redis.pipeline(transaction=False)
        for row in rows[start : start + 1000]:
            pipe.xadd(STREAM, {"r": encode(row), "c": int(row.counted)})
        pipe.execute()


def _drain(redis: Redis, *, n: int, batch_size: int) -> float:
    """Seconds for one report_drain call to move the n entries (a zero budget drains until
    the stream is empty)."""
    started = time.perf_counter()
    moved = report_drain(
        redis=redis,
        stream=STREAM,
        group=GROUP,
        consumer="bench",
        batch_size=batch_size,
        budget_seconds=0,
        claim_idle_ms=30_000,
    )
    seconds = time.perf_counter() - started
    if moved != n:
        raise RuntimeError(f"report_drain moved {moved} of {n} entries")
    return seconds


def _copy(dsn: str, rows: list[ReportRow], *, shape: str) -> float:
    """Seconds to COPY the rows into a scratch table with the reports table's columns and
    ("bare") nothing else, ("pk") its primary key, or ("indexed") its primary key and indexes,
    commit included."""
    table = Report._meta.db_table
    scratch = f"bench_copy_{shape}"
    like = "INCLUDING ALL" if shape == "indexed" else "INCLUDING DEFAULTS"
    with psycopg.connect(dsn) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {scratch}")
        conn.execute(f"CREATE TABLE {scratch} (LIKE {table} {like})")
        if shape == "pk":
            conn.execute(f"ALTER TABLE {scratch} ADD PRIMARY KEY (id)")
        conn.commit()
        # The columns intake writes (a voided report's void_id is set later, by a moderator).
        names = [f.name for f in fields(ReportRow)]
        columns = ", ".join(Report._meta.get_field(name).column for name in names)
        values = attrgetter(*names)
        sql = f"COPY {scratch} ({columns}) FROM STDIN"
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(values(row))
        conn.commit()
        seconds = time.perf_counter() - started
        conn.execute(f"DROP TABLE {scratch}")
        conn.commit()
    return seconds
