"""Write side of the minute buckets: add counts, never overwrite them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from common.bulk import upsert_add
from outages.models import MinuteBucket


class BucketKey(NamedTuple):
    service_id: int
    minute: datetime
    kind: str
    platform: str
    problem: str
    country: str


def bucket_increment(*, increments: Mapping[BucketKey, int]) -> None:
    """Add each count to its bucket, creating missing buckets.

    Call it inside the transaction that inserted the counted reports, with counts for the
    reports really inserted only.
    """
    upsert_add(
        table=MinuteBucket._meta.db_table,
        keys=BucketKey._fields,
        counter="count",
        rows=[(*key, count) for key, count in increments.items()],
    )


def bucket_increment_sql(*, source: str) -> str:
    """The statement adding one to the buckets per counted row of `source`, a relation with
    service_id, received_at, kind, platform, problem, country and counted: for the WITH
    clause of the statement that inserted those rows, so both commit together."""
    table = MinuteBucket._meta.db_table
    keys = ", ".join(BucketKey._fields)
    return (
        f"INSERT INTO {table} ({keys}, count)"  # noqa: S608
        " SELECT service_id, date_trunc('minute', received_at, 'UTC'), kind, platform, problem,"
        f" country, count(*) FROM {source} WHERE counted"
        # Grouped, so each key appears once; ordered, so writers lock rows in the same order.
        " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
        f" ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + EXCLUDED.count"
    )
