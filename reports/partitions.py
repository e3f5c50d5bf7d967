"""Raw reports partitioned by UTC day on PostgreSQL (declarative RANGE partitioning on
`received_at`, migration 0007), so that retention drops a day's partition instead of deleting
its rows. The embedded SQLite keeps one plain table: every function here is then a no-op.

Partitions are named `reports_report_pYYYYMMDD`. The hourly maintenance task creates today's,
yesterday's and the next AHEAD_DAYS days' partitions; a store (reports.services) also creates
the partitions of the days its rows fall on when they are missing, so a report of a day nobody
prepared (a stopped beat, a clock far off, a test's travel in time) still lands. There is no
DEFAULT partition: with one, each new partition would have to scan it and a detach could not be
CONCURRENTLY (docs/scaling.md §5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.db import connection, transaction

TABLE = "reports_report"
AHEAD_DAYS = 7
_NAME = re.compile(rf"^{TABLE}_p(\d{{8}})$")
# One creator at a time: two stores missing the same day would race on CREATE TABLE.
_CREATE_LOCK = 0x5245504F  # any constant, shared by every creator


def partitioned() -> bool:
    return connection.vendor == "postgresql"


def partition_name(day: date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def partitions_list() -> dict[date, tuple[str, bool]]:
    """The day partitions of the reports table by day: (name, whether a detach of it was
    interrupted half-way, which leaves it "detach pending")."""
    if not partitioned():
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, i.inhdetachpending"
            " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        rows = cursor.fetchall()
    found = {}
    for name, pending in rows:
        if match := _NAME.match(name):
            day = match.group(1)
            found[date(int(day[:4]), int(day[4:6]), int(day[6:]))] = (name, bool(pending))
    return found


def partitions_ensure(*, days: Iterable[date]) -> list[str]:
    """Create the partitions of `days` that do not exist yet (in the caller's transaction, if
    any); returns the names created. Costs one catalog query when they all exist."""
    wanted = sorted(set(days))
    if not partitioned() or not wanted:
        return []
    names = [partition_name(day) for day in wanted]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name FROM unnest(%s::text[]) AS name WHERE to_regclass(name) IS NULL",
            [names],
        )
        missing = {name for (name,) in cursor.fetchall()}
        if not missing:
            return []
        with transaction.atomic():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CREATE_LOCK])
            for day in wanted:
                name = partition_name(day)
                if name in missing:
                    start = datetime.combine(day, time.min).isoformat()
                    end = datetime.combine(day + timedelta(days=1), time.min).isoformat()
                    cursor.execute(
                        f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE}"
                        f" FOR VALUES FROM ('{start}+00') TO ('{end}+00')"
                    )
    return sorted(missing)


def partitions_ahead(*, today: date, ahead: int = AHEAD_DAYS) -> list[str]:
    """Yesterday's (a drain behind midnight), today's and the next `ahead` days' partitions."""
    return partitions_ensure(days=(today + timedelta(days=n) for n in range(-1, ahead + 1)))


def partitions_drop_before(*, day: date) -> int:
    """Detach and drop every partition of a day before `day`; returns how many reports they
    held. Outside a transaction the detach is CONCURRENTLY (it waits for no reader or writer
    of the table and blocks none); inside one (tests, a caller's atomic block) a plain detach,
    which takes the table's lock for a moment."""
    dropped = 0
    for old_day, (name, pending) in sorted(partitions_list().items()):
        if old_day >= day:
            continue
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {name}")  # noqa: S608
            dropped += int(cursor.fetchone()[0])
            if pending:  # a concurrent detach interrupted (a killed worker): complete it
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name} FINALIZE")
            elif connection.in_atomic_block:
                # Rows written earlier in this transaction have foreign key checks pending
                # (Django's are deferred), which a table cannot be dropped with: run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name} CONCURRENTLY")
            cursor.execute(f"DROP TABLE {name}")
    return dropped
