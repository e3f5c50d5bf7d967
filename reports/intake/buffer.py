"""The last intake steps: rate-limit, dedupe and make the report durable, in one of two buffers.

RedisBuffer does all three in one round trip (a Lua script ending in XADD to a stream that the
drain task moves into PostgreSQL). DatabaseBuffer does them with a few queries and an
idempotent insert; it serves the embedded default and is the fallback when Redis is down.
Both answer the same Outcome for the same situation.

Over 300 lines: the two buffers must answer alike, so they are read side by side.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from redis.connection import AbstractConnection as RedisConnection

from common.bulk import adapt
from common.redis import redis_client
from reports.models import IntakeKey, Report
from reports.rows import ReportRow, encode
from reports.services import report_store_batch


class BufferVerdict(enum.StrEnum):
    ACCEPTED = "accepted"  # stored; counted unless a repeat within the dedupe window
    REPLAY = "replay"  # the same id with the same content was accepted before
    CONFLICT = "conflict"  # the same id with other content
    LIMITED = "limited"  # over a rate limit


@dataclass(frozen=True)
class Outcome:
    verdict: BufferVerdict
    counted: bool = False
    retry_after: int = 0


class BufferUnavailable(Exception):
    """The buffer could not be reached; nothing is known to be stored."""


@dataclass(frozen=True)
class Limits:
    dedupe: timedelta
    idempotency: timedelta
    fingerprint: tuple[int, int]  # (reports, window seconds)
    network: tuple[int, int]

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            dedupe=settings.INTAKE_DEDUPE_WINDOW,
            idempotency=settings.INTAKE_IDEMPOTENCY_TTL,
            fingerprint=settings.INTAKE_RATE_FINGERPRINT,
            network=settings.INTAKE_RATE_NETWORK,
        )


def _window(limit: tuple[int, int], now: datetime) -> tuple[int, int]:
    """(index of the fixed window now falls in, seconds until it ends)."""
    seconds = limit[1]
    epoch = int(now.timestamp())
    return epoch // seconds, seconds - epoch % seconds


_ADMIT_SCRIPT = """
-- KEYS: idempotency, fingerprint rate, network rate, dedupe, stream, dedupe before midnight
--       (the dedupe key again when there is none)
-- ARGV: digest, idempotency ttl, fingerprint limit, network limit, rate ttl, dedupe ttl, row
local prior = redis.call('GET', KEYS[1])
if prior then
  if string.sub(prior, 2) == ARGV[1] then return {'replay', tonumber(string.sub(prior, 1, 1))} end
  return {'conflict', 0}
end
local f = redis.call('INCR', KEYS[2])
if f == 1 then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
local n = redis.call('INCR', KEYS[3])
if n == 1 then redis.call('EXPIRE', KEYS[3], ARGV[5]) end
if f > tonumber(ARGV[3]) or n > tonumber(ARGV[4]) then return {'limited', 0} end
local counted = 0
if (KEYS[6] == KEYS[4] or redis.call('EXISTS', KEYS[6]) == 0)
    and redis.call('SET', KEYS[4], '1', 'NX', 'EX', ARGV[6]) then counted = 1 end
redis.call('XADD', KEYS[5], '*', 'r', ARGV[7], 'c', counted)
redis.call('SET', KEYS[1], counted .. ARGV[1], 'EX', ARGV[2])
return {'accepted', counted}
"""


class RedisBuffer:
    def __init__(self, client: redis.Redis, *, stream: str, limits: Limits) -> None:
        self.client = client
        self.stream = stream
        self.limits = limits
        self.script = client.register_script(_ADMIT_SCRIPT)
        self._idle: list[RedisConnection] = []
        self._pid = os.getpid()

    def _take_connection(self) -> RedisConnection:
        """An idle connection of the buffer's own, or a new one with the client's settings
        (URL, timeouts); give it back with _idle.append.

        The admission script is the hottest call of intake. On connections of its own, it
        skips the client pool's locking and bookkeeping and the client's per-command retry and
        observability layers: together about a fifth of intake's CPU. The list is the whole
        pool: pop and append are atomic for threads and greenlets alike, so no lock.
        """
        if self._pid != os.getpid():  # a forked process never shares its parent's sockets
            self._idle, self._pid = [], os.getpid()
        try:
            return self._idle.pop()
        except IndexError:
            pool = self.client.connection_pool
            conn: RedisConnection = pool.connection_class(**pool.connection_kwargs)
            return conn  # connects on first use

    def _run_script(self, keys: list[str], args: list[object]) -> list[Any]:
        """EVALSHA, loading the script if Redis lost it. A connection found closed (Redis
        restarted) is reopened once; the script is idempotent by report id, so running it
        again is safe."""
        conn = self._take_connection()
        try:
            for attempt in range(2):
                try:
                    return self._evalsha(conn, keys, args)
                except redis.ResponseError:  # a whole reply was read: the connection is usable
                    raise
                except redis.ConnectionError:
                    conn.disconnect()  # type: ignore[no-untyped-call]  # (untyped in redis)
                    if attempt:
                        raise
                except BaseException:  # a timeout, say: a late reply must not answer the next
                    conn.disconnect()  # type: ignore[no-untyped-call]  # (untyped in redis)
                    raise
            raise AssertionError("unreachable")
        finally:
            self._idle.append(conn)  # a disconnected one reconnects on its next command

    def _evalsha(self, conn: RedisConnection, keys: list[str], args: list[object]) -> list[Any]:
        """The script's reply: [verdict (bytes), counted (int)]."""
        # redis leaves send_command untyped (and read_response's reply is whatever Redis sent).
        try:
            conn.send_command("EVALSHA", self.script.sha, len(keys), *keys, *args)  # type: ignore[no-untyped-call]
            reply: list[Any] = conn.read_response()
        except redis.exceptions.NoScriptError:  # a restarted or flushed Redis
            self.script.sha = self.client.script_load(self.script.script)
            conn.send_command("EVALSHA", self.script.sha, len(keys), *keys, *args)  # type: ignore[no-untyped-call]
            reply = conn.read_response()
        return reply

    def admit(self, row: ReportRow, *, now: datetime, earlier: str | None = None) -> Outcome:
        """Rate-limit, dedupe and append `row`. `earlier` is the reporter's fingerprint before
        midnight, whose dedupe window, if still open, holds too."""
        fp_window, fp_left = _window(self.limits.fingerprint, now)
        net_window, net_left = _window(self.limits.network, now)
        dedupe = _dedupe_key(row, row.fingerprint)
        keys = [
            f"intake:id:{row.id}",
            f"intake:rate:f:{row.fingerprint}:{fp_window}",
            f"intake:rate:n:{row.network}:{net_window}",
            dedupe,
            self.stream,
            _dedupe_key(row, earlier) if earlier else dedupe,
        ]
        args = [
            row.content_digest(),
            int(self.limits.idempotency.total_seconds()),
            self.limits.fingerprint[0],
            self.limits.network[0],
            max(self.limits.fingerprint[1], self.limits.network[1]),
            int(self.limits.dedupe.total_seconds()),
            encode(row),
        ]
        try:
            verdict, counted = self._run_script(keys, args)
        except (redis.RedisError, OSError) as error:
            # Unreachable, but also full (OOM), unable to persist (MISCONF) or a read-only
            # replica after a failover: the report is not durable there, so fall back.
            raise BufferUnavailable(error.__class__.__name__) from error
        verdict = BufferVerdict(verdict.decode())
        retry_after = max(fp_left, net_left) if verdict is BufferVerdict.LIMITED else 0
        return Outcome(verdict, counted=bool(counted), retry_after=retry_after)


class DatabaseBuffer:
    """Same rules as RedisBuffer, with its keys as IntakeKey rows, in the transaction that
    stores the report.

    As the fallback of a RedisBuffer (`drained_too`), a person's dedupe window may have opened
    in Redis, out of reach now: a counted report of theirs already drained into the database
    within the window holds it too. (A report still in the stream when Redis went down is not
    seen until Redis is back; the drain then copies this buffer's dedupe keys into Redis, see
    intake_keys_to_redis, so the window holds in both directions.)
    """

    _PRIOR = (
        "SELECT service_id, kind, platform, problem, country, subdivision, counted"
        " FROM {reports} WHERE id = %s"
    )
    # Count one more use of each key; a key past its expiry starts again at 1.
    _BUMP = (
        "INSERT INTO {keys} (key, count, expires_at) VALUES (%s, 1, %s)"
        " ON CONFLICT (key) DO UPDATE SET"
        " count = CASE WHEN {keys}.expires_at <= %s THEN 1 ELSE {keys}.count + 1 END,"
        " expires_at = CASE WHEN {keys}.expires_at <= %s THEN excluded.expires_at"
        " ELSE {keys}.expires_at END"
        " RETURNING key, count"
    )

    _COUNTED = (
        "SELECT 1 FROM {reports} WHERE service_id = %s AND received_at > %s"
        " AND kind = %s AND counted AND fingerprint IN (%s, %s) LIMIT 1"
    )

    def __init__(self, *, limits: Limits, drained_too: bool = False) -> None:
        self.limits = limits
        self.drained_too = drained_too
        self.prior_sql = self._PRIOR.format(reports=Report._meta.db_table)
        self.counted_sql = self._COUNTED.format(reports=Report._meta.db_table)

    def admit(self, row: ReportRow, *, now: datetime, earlier: str | None = None) -> Outcome:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.prior_sql, [adapt(row.id)])
            prior = cursor.fetchone()
            if prior is not None:
                *content, counted = prior
                stored = replace(row, **dict(zip(_CONTENT, content, strict=True)))
                if stored.content_digest() != row.content_digest():
                    return Outcome(BufferVerdict.CONFLICT)
                return Outcome(BufferVerdict.REPLAY, counted=bool(counted))
            limited = 0
            for name, value, limit in (
                ("f", row.fingerprint, self.limits.fingerprint),
                ("n", row.network, self.limits.network),
            ):
                window, left = _window(limit, now)
                key = f"intake:rate:{name}:{value}:{window}"
                if _bump(cursor, key, now + timedelta(seconds=left), now) > limit[0]:
                    limited = max(limited, left)
            if limited:
                return Outcome(BufferVerdict.LIMITED, retry_after=limited)
            counted = not (earlier and _live(cursor, _dedupe_key(row, earlier), now))
            if counted and self.drained_too:
                counted = not self._counted_in_window(cursor, row, now=now, earlier=earlier)
            if counted:
                dedupe = _dedupe_key(row, row.fingerprint)
                counted = _bump(cursor, dedupe, now + self.limits.dedupe, now) == 1
            report_store_batch(rows=[row.with_counted(counted)])
        return Outcome(BufferVerdict.ACCEPTED, counted=counted)

    def _counted_in_window(
        self, cursor: CursorWrapper, row: ReportRow, *, now: datetime, earlier: str | None
    ) -> bool:
        """Whether a stored report of this person for this service and kind was counted within
        the dedupe window (under today's fingerprint or the one before midnight)."""
        since = now - self.limits.dedupe
        fingerprints = [row.fingerprint, earlier or row.fingerprint]
        cursor.execute(self.counted_sql, [row.service_id, adapt(since), row.kind, *fingerprints])
        return cursor.fetchone() is not None


# Up to where intake_keys_to_redis has copied the database buffer's dedupe keys (an expiry).
_SYNCED = "intake:dedupe-synced-until"


def intake_keys_to_redis(*, client: redis.Redis, now: datetime) -> int:
    """Copy into Redis the dedupe keys the database buffer opened while Redis was unreachable,
    so that a person counted then is not counted again by Redis within their window. Each key
    keeps the time it has left; SET NX leaves a key Redis already has alone, so copying twice
    is harmless. Returns how many keys were copied."""
    synced = client.get(_SYNCED)
    query = IntakeKey.objects.filter(key__startswith="intake:dedupe:", expires_at__gt=now)
    if synced:
        # A minute back: keys written by a host whose clock is a little behind are not skipped.
        since = datetime.fromtimestamp(float(synced), tz=UTC) - timedelta(minutes=1)
        query = query.filter(expires_at__gt=since)
    keys = list(query.values_list("key", "expires_at"))
    if not keys:
        return 0
    pipe = client.pipeline(transaction=False)
    for key, expires_at in keys:
        # The time left, not the instant: Redis's clock may differ from this host's.
        pipe.set(key, "1", nx=True, px=int((expires_at - now).total_seconds() * 1000))
    pipe.set(_SYNCED, max(expires_at for _, expires_at in keys).timestamp())
    pipe.execute()
    return len(keys)


def _dedupe_key(row: ReportRow, fingerprint: str) -> str:
    return f"intake:dedupe:{row.service_id}:{row.kind}:{fingerprint}"


def _live(cursor: CursorWrapper, key: str, now: datetime) -> bool:
    """Whether `key` exists and has not expired."""
    table = IntakeKey._meta.db_table
    cursor.execute(
        f"SELECT 1 FROM {table} WHERE key = %s AND expires_at > %s",  # noqa: S608
        [key, adapt(now)],
    )
    return cursor.fetchone() is not None


def _bump(cursor: CursorWrapper, key: str, expires_at: datetime, now: datetime) -> int:
    """One more use of `key`; returns its count in the current window."""
    sql = DatabaseBuffer._BUMP.format(keys=IntakeKey._meta.db_table)
    cursor.execute(sql, [key, adapt(expires_at), adapt(now), adapt(now)])
    return int(cursor.fetchone()[1])


def intake_keys_expire(*, now: datetime) -> int:
    """Delete the database buffer's expired keys; returns how many."""
    deleted, _ = IntakeKey.objects.filter(expires_at__lte=now).delete()
    return deleted


_CONTENT = ("service_id", "kind", "platform", "problem", "country", "subdivision")


@cache
def primary_buffer() -> RedisBuffer | DatabaseBuffer:
    limits = Limits.from_settings()
    if settings.INTAKE_BUFFER == "redis":
        return RedisBuffer(redis_client(), stream=settings.INTAKE_STREAM, limits=limits)
    return DatabaseBuffer(limits=limits)


@cache
def fallback_buffer() -> DatabaseBuffer:
    return DatabaseBuffer(limits=Limits.from_settings(), drained_too=True)
