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
