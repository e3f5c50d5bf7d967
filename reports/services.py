"""Write side of raw reports: store a batch exactly once, and drain the Redis stream into it."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from django.db import DataError, IntegrityError, connection, transaction
from redis import Redis
from redis.client import Pipeline
from redis.exceptions import ResponseError

from common import metrics
from common.bulk import copy_to_staging, insert_new
from outages.detection.timebuckets import floor_to_minute
from outages.services.buckets import BucketKey, bucket_increment, bucket_increment_sql
from reports.models import Report, ReportIdLedger
from reports.partitions import partitioned, partitions_ensure
from reports.rows import COLUMNS, LEGACY_FIELDS, ReportRow, decode

logger = logging.getLogger(__name__)

_COLUMNS = (*COLUMNS, "counted")


def report_store_batch(*, rows: Sequence[ReportRow]) -> int:
    """Insert reports idempotently by id and count the new ones in their minute buckets.

    One transaction: a report whose id was stored before (a redelivered batch, a retried
    request, even with another received_at) is skipped and adds nothing to any bucket, so each
    report is counted exactly once (ReportIdLedger). Returns how many rows were really inserted.
    """
    unique = list({row.id: row for row in rows}.values())
    with transaction.atomic():
        partitions_ensure(days={row.received_at.astimezone(UTC).date() for row in unique})
        fresh = {
            _as_uuid(value)
            for value in insert_new(
                table=ReportIdLedger._meta.db_table,
                columns=("id", "received_at"),
                rows=[(row.id, row.received_at) for row in unique],
                key="id",
            )
        }
        inserted = {
            _as_uuid(value)
            for value in insert_new(
                table=Report._meta.db_table,
                columns=_COLUMNS,
                rows=[_values(row) for row in unique if row.id in fresh],
                key=_report_key(),
            )
        }
        increments: Counter[BucketKey] = Counter(
            BucketKey(
                r.service_id,
                floor_to_minute(r.received_at),
                r.kind,
                r.platform,
                r.problem,
                r.country,
            )
            for r in unique
            if r.counted and r.id in inserted
        )
        if increments:
            bucket_increment(increments=increments)
    return len(inserted)


def _report_key() -> str:
    """The reports table's primary key: (id, received_at) when partitioned by day."""
    return "id, received_at" if partitioned() else "id"


def _values(row: ReportRow) -> tuple[object, ...]:
    return (
        row.id,
        row.service_id,
        row.kind,
        row.platform,
        row.problem,
        row.country,
        row.subdivision,
        row.source,
        row.origin,
        row.received_at,
        row.fingerprint,
        row.network,
        row.agent,
        row.counted,
    )


def _as_uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def report_drain(
    *,
    redis: Redis,
    stream: str,
    group: str,
    consumer: str,
    batch_size: int,
    budget_seconds: float,
    claim_idle_ms: int,
    block_ms: int = 500,
) -> int:
    """Move reports from the stream into storage for about budget_seconds (with 0: until the
    stream is empty); returns how many.

    1. Claim entries another consumer read but never acknowledged (it crashed) for longer
       than claim_idle_ms.
    2. Read new entries as this consumer of the group, a batch at a time.
    3. Store each batch (report_store_entries), then acknowledge and delete it: only after the
       commit, so a crash in between redelivers the batch, which the idempotent insert skips.
    """
    try:
        redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as error:
        if "BUSYGROUP" not in str(error):
            raise
    moved = 0
    cursor = "0-0"
    while True:  # 1. entries of crashed consumers
        cursor, entries, _deleted = redis.xautoclaim(
            stream,
            group,
            consumer,
            min_idle_time=claim_idle_ms,
            start_id=cursor,
            count=batch_size,
        )
        pipe = redis.pipeline(transaction=False)
        moved += _store_and_queue_ack(pipe, stream, group, entries)
        pipe.execute()
        if cursor in (b"0-0", "0-0") or not entries:
            break
    deadline = time.monotonic() + budget_seconds
    # A stored batch is acknowledged in the round trip that reads the next one (one Redis
    # round trip and one AOF fsync per batch instead of two), and by the last one at the end.
    pipe = redis.pipeline(transaction=False)
    while True:  # 2. new entries
        past = time.monotonic() >= deadline
        pipe.xreadgroup(
            group, consumer, {stream: ">"}, count=batch_size, block=None if past else block_ms
        )
        response = pipe.execute()[-1]
        entries = response[0][1] if response else []
        pipe = redis.pipeline(transaction=False)
        moved += _store_and_queue_ack(pipe, stream, group, entries)
        # A zero budget drains what is there now; otherwise stop once the budget is spent.
        if past and (budget_seconds > 0 or not entries):
            break
    pipe.execute()
    return moved


def report_store_entries(*, entries: Sequence[Mapping[bytes, bytes]]) -> int:
    """Store stream entries ({b"r": encoded row, b"c": b"1" if counted}) exactly once, as
    report_store_batch does; returns how many were really inserted.

    On PostgreSQL the encoded rows are COPY lines: they go to a staging table untouched, and
    one statement records the new ids in the ledger, inserts their reports and adds them to
    their buckets.
    """
    if connection.vendor != "postgresql":
        return report_store_batch(rows=[_decoded(fields) for fields in entries])
    data = b"".join(
        _current(f[b"r"]) + (b"\tt\n" if f[b"c"] == b"1" else b"\tf\n") for f in entries
    )
    columns = ", ".join(_COLUMNS)
    staged = ", ".join(f"s.{column}" for column in _COLUMNS)
    ledger = ReportIdLedger._meta.db_table
    with transaction.atomic():
        partitions_ensure(days=_days_of(entries))
        staging = copy_to_staging(table=Report._meta.db_table, columns=_COLUMNS, data=data)
        with connection.cursor() as cursor:
            cursor.execute(
                # The ledger takes each id once (a concurrent store of the same id waits for
                # this one, then skips it); only the rows whose id it took are inserted.
                f"WITH fresh AS (INSERT INTO {ledger} (id, received_at)"  # noqa: S608
                f" SELECT id, received_at FROM {staging} ON CONFLICT (id) DO NOTHING"
                " RETURNING id, received_at),"
                f" inserted AS (INSERT INTO {Report._meta.db_table} ({columns})"
                f" SELECT {staged} FROM {staging} s JOIN fresh f"
                " ON f.id = s.id AND f.received_at = s.received_at ON CONFLICT DO NOTHING"
                " RETURNING service_id, received_at, kind, platform, problem, country, counted),"
                f" counted AS ({bucket_increment_sql(source='inserted')})"
                " SELECT count(*) FROM inserted"
            )
            return int(cursor.fetchone()[0])


def _days_of(entries: Sequence[Mapping[bytes, bytes]]) -> set[date]:
    """The UTC days the entries were received on, read from the first and the last (a stream is
    in arrival order) and every day between. An entry outside them, or unreadable, fails the
    batch, which is then stored entry by entry (_store_and_queue_ack), each with its own day."""
    ends = [day for i in {0, len(entries) - 1} if entries and (day := _received_on(entries[i]))]
    if not ends:
        return set()
    first, last = min(ends), max(ends)
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


def _received_on(fields: Mapping[bytes, bytes]) -> date | None:
    try:
        received_at = datetime.fromisoformat(fields[b"r"].split(b"\t", 10)[9].decode())
    except (KeyError, IndexError, ValueError):
        return None  # the insert refuses it, and the entry is dead-lettered
    return received_at.astimezone(UTC).date()


def _current(line: bytes) -> bytes:
    """An entry of the previous format (no agent column) with an empty agent."""
    return line + b"\t" if line.count(b"\t") == LEGACY_FIELDS - 1 else line


def _decoded(fields: Mapping[bytes, bytes]) -> ReportRow:
    return decode(fields[b"r"], counted=fields[b"c"] == b"1")


def _store_and_queue_ack(
    pipe: Pipeline, stream: str, group: str, entries: list[tuple[bytes, dict[bytes, bytes]]]
) -> int:
    """Store a batch, then queue its XACK and XDEL on pipe (sent by the caller, so after the
    commit); entries that cannot be stored go to the dead-letter stream (STREAM:dead) for an
    operator, so they never block the stream."""
    if not entries:
        return 0
    dead: list[tuple[bytes, dict[bytes, bytes], str]] = []
    try:
        report_store_entries(entries=[fields for _, fields in entries])
    except _UNSTORABLE:
        # One bad entry (malformed, or its service deleted meanwhile) fails the whole batch:
        # store them one by one and set the bad ones aside.
        for entry_id, fields in entries:
            try:
                report_store_entries(entries=[fields])
            except _UNSTORABLE as error:
                dead.append((entry_id, fields, f"{error.__class__.__name__}: {error}"[:200]))
    for entry_id, fields, reason in dead:
        logger.error("Dead-lettering stream entry %s: %s", entry_id.decode(), reason)
        # redis types `fields` as an invariant Dict of unions, which refuses dict[bytes, bytes].
        pipe.xadd(f"{stream}:dead", {**fields, b"entry": entry_id, b"error": reason})  # type: ignore[dict-item]
    ids = [entry_id for entry_id, _ in entries]
    pipe.xack(stream, group, *ids)
    pipe.xdel(stream, *ids)
    metrics.drain_stored.inc(len(entries) - len(dead))
    metrics.drain_dead.inc(len(dead))
    return len(entries) - len(dead)


# What a bad entry raises: undecodable, unparsable by COPY, or violating a constraint.
_UNSTORABLE = (IntegrityError, DataError, KeyError, ValueError, UnicodeDecodeError)


def stream_consumers_prune(*, redis: Redis, stream: str, group: str, idle_ms: int) -> int:
    """Forget consumers (one per worker process ever started) idle for idle_ms with nothing
    pending; a crashed consumer's pending entries are claimed by report_drain first."""
    pruned = 0
    try:
        consumers = redis.xinfo_consumers(stream, group)
    except ResponseError:  # no stream or group yet
        return 0
    for consumer in consumers:
        if consumer["pending"] == 0 and consumer["idle"] >= idle_ms:
            redis.xgroup_delconsumer(stream, group, consumer["name"])
            pruned += 1
    return pruned
