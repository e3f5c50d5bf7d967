"""Write side of the minute buckets: add counts, never overwrite them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from django.db import connection

from outages.models import MinuteBucket

_CHUNK = 500


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
    reports really inserted only. Keys are written in sorted order so that two consumers
    upserting overlapping buckets lock rows in the same order and cannot deadlock.
    """
    table = MinuteBucket._meta.db_table
    keys = sorted(increments)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            params: list[object] = []
            for key in chunk:
                params += [
                    key.service_id,
                    connection.ops.adapt_datetimefield_value(key.minute),
                    key.kind,
                    key.platform,
                    key.problem,
                    key.country,
                    increments[key],
                ]
            cursor.execute(
                f"INSERT INTO {table} (service_id, minute, kind, platform, problem, country, count)"  # noqa: S608
                f" VALUES {values}"
                " ON CONFLICT (service_id, minute, kind, platform, problem, country)"
                f" DO UPDATE SET count = {table}.count + EXCLUDED.count",
                params,
            )
