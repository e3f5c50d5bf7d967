"""Bulk writes that the hot paths need and the ORM does not offer: insert-if-new returning
what was really inserted, and upserts that add to a counter.

PostgreSQL takes the rows by COPY into a temporary staging table and then one INSERT ...
SELECT (about 10x faster than a multi-row VALUES statement with thousands of parameters);
other databases (the embedded SQLite) take multi-row VALUES statements. Same results.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.db import connection

_CHUNK = 500  # rows per VALUES statement: SQLite allows 32,766 parameters


def insert_new(
    *, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], key: str
) -> list[Any]:
    """INSERT the rows, skipping those whose `key` column already exists; returns the keys of
    the rows really inserted (as the database returns them)."""
    conflict = f"ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
    if connection.vendor == "postgresql":
        return _staged(table, columns, rows, "", conflict)
    return _values(table, columns, rows, conflict)


def upsert_add(
    *, table: str, keys: Sequence[str], counter: str, rows: Sequence[Sequence[Any]]
) -> None:
    """Rows are key values followed by an increment: add it to the counter of the row with
    those keys, creating it at the increment. Rows are written in key order, so that two
    writers lock the same rows in the same order and cannot deadlock."""
    key_list = ", ".join(keys)
    conflict = (
        f"ON CONFLICT ({key_list}) DO UPDATE SET {counter} = {table}.{counter} + EXCLUDED.{counter}"
    )
    ordered = sorted(rows, key=lambda row: tuple(row[: len(keys)]))
    columns = [*keys, counter]
    if connection.vendor == "postgresql":
        _staged(table, columns, ordered, f"ORDER BY {key_list}", conflict)
    else:
        _values(table, columns, ordered, conflict)


def copy_to_staging(*, table: str, columns: Sequence[str], data: bytes) -> str:
    """PostgreSQL only: load COPY text-format lines into an empty temporary table with the
    columns of `table`, emptied at commit; returns its name for a following INSERT ... SELECT."""
    staging = f"staging_{table}"
    with _staging(table, columns) as (cursor, copy_sql):
        with cursor.copy(copy_sql) as copy:
            copy.write(data)
    return staging


@contextmanager
def _staging(table: str, columns: Sequence[str]) -> Iterator[tuple[Any, str]]:
    if not connection.in_atomic_block:
        raise RuntimeError("staging needs a transaction: its rows vanish at each commit")
    staging = f"staging_{table}"
    column_list = ", ".join(columns)
    connection.ensure_connection()
    # The raw psycopg cursor (same transaction), its errors raised as Django's.
    with connection.wrap_database_errors, connection.connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS"  # noqa: S608
            f" AS SELECT {column_list} FROM {table} WITH NO DATA"
        )
        # Emptied at each commit, but rows of an earlier batch of the same transaction may
        # still be there. DELETE, not TRUNCATE: on an empty temp table it costs nothing.
        cursor.execute(f"DELETE FROM {staging}")  # noqa: S608
        yield cursor, f"COPY {staging} ({column_list}) FROM STDIN"


def _staged(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], order: str, tail: str
) -> list[Any]:
    staging = f"staging_{table}"
    column_list = ", ".join(columns)
    with _staging(table, columns) as (cursor, copy_sql):
        with cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} ({column_list})"  # noqa: S608
            f" SELECT {column_list} FROM {staging} {order} {tail}"
        )
        return [row[0] for row in cursor.fetchall()] if "RETURNING" in tail else []


def _values(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], tail: str
) -> list[Any]:
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    returned: list[Any] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
                f" VALUES {', '.join([placeholders] * len(chunk))} {tail}",
                [adapt(value) for row in chunk for value in row],
            )
            if "RETURNING" in tail:
                returned += [row[0] for row in cursor.fetchall()]
    return returned


def adapt(value: Any) -> Any:
    """Python values as a database without native UUID and datetime types stores them."""
    if isinstance(value, uuid.UUID) and not connection.features.has_native_uuid_field:
        return value.hex
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value
