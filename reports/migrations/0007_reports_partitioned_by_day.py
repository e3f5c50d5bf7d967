"""Raw reports partitioned by UTC day on PostgreSQL, and the id ledger that keeps a report
counted once (reports/partitions.py, reports.models.ReportIdLedger, docs/scaling.md §5).

On PostgreSQL the plain reports table is renamed, a table of the same columns is created
PARTITION BY RANGE (received_at) with one partition per day the data covers plus the days
ahead, the rows are copied, then the keys, indexes and foreign keys are built on it (faster
after the copy than during it) and the old table is dropped. Its primary key becomes (id,
received_at), which a partitioned table needs; the ids of the reports of the last
REPORT_ID_LEDGER_HOURS go into the ledger. The embedded SQLite keeps its plain table and only
gains the ledger. Reversible: going back copies the rows into a plain table again.

The copy holds the reports table's lock for its duration: on a large database, run it while
the drain is stopped (intake keeps answering; reports wait in the Redis stream).

The SQL is written out here rather than imported, so that this migration keeps doing what it
did when reports/partitions.py changes.
"""

from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.db import migrations, models

TABLE = "reports_report"
PLAIN = "reports_report_plain"
AHEAD_DAYS = 7


def _rows(schema_editor, sql, params=()):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _foreign_keys(schema_editor, table):
    return _rows(
        schema_editor,
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [table],
    )


def _primary_key_name(schema_editor, table):
    return _rows(
        schema_editor,
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'p'",
        [table],
    )[0][0]


def _set_aside(schema_editor):
    """Rename the current table and the names it holds that the new one takes over."""
    execute = schema_editor.execute
    execute(f"ALTER TABLE {TABLE} RENAME TO {PLAIN}")
    pkey = _primary_key_name(schema_editor, PLAIN)
    execute(f"ALTER TABLE {PLAIN} RENAME CONSTRAINT {pkey} TO {PLAIN}_pkey")
    for index in ("report_service_time", "report_void"):
        execute(f"ALTER INDEX IF EXISTS {index} RENAME TO {index}_plain")


def _build_keys(schema_editor, primary_key, foreign_keys):
    execute = schema_editor.execute
    execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY ({primary_key})")
    execute(f"CREATE INDEX report_service_time ON {TABLE} (service_id, received_at)")
    execute(f"CREATE INDEX report_void ON {TABLE} (void_id) WHERE void_id IS NOT NULL")
    for name, definition in foreign_keys:
        execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    foreign_keys = _foreign_keys(schema_editor, TABLE)
    _set_aside(schema_editor)
    execute = schema_editor.execute
    execute(
        f"CREATE TABLE {TABLE} (LIKE {PLAIN} INCLUDING DEFAULTS INCLUDING STORAGE)"
        " PARTITION BY RANGE (received_at)"
    )
    today = datetime.now(UTC).date()
    first, last = _rows(
        schema_editor,
        f"SELECT (min(received_at) AT TIME ZONE 'UTC')::date,"  # noqa: S608
        f" (max(received_at) AT TIME ZONE 'UTC')::date FROM {PLAIN}",
    )[0]
    first = min(first or today, today - timedelta(days=1))
    last = max(last or today, today + timedelta(days=AHEAD_DAYS))
    for n in range((last - first).days + 1):
        _create_partition(schema_editor, first + timedelta(days=n))
    execute(f"INSERT INTO {TABLE} SELECT * FROM {PLAIN}")  # noqa: S608
    _build_keys(schema_editor, "id, received_at", foreign_keys)
    execute(f"DROP TABLE {PLAIN}")
    execute(f"ANALYZE {TABLE}")


def _create_partition(schema_editor, day: date) -> None:
    start = datetime.combine(day, time.min).isoformat()
    end = datetime.combine(day + timedelta(days=1), time.min).isoformat()
    schema_editor.execute(
        f"CREATE TABLE {TABLE}_p{day:%Y%m%d} PARTITION OF {TABLE}"
        f" FOR VALUES FROM ('{start}+00') TO ('{end}+00')"
    )


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    foreign_keys = _foreign_keys(schema_editor, TABLE)
    _set_aside(schema_editor)
    execute = schema_editor.execute
    execute(f"CREATE TABLE {TABLE} (LIKE {PLAIN} INCLUDING DEFAULTS INCLUDING STORAGE)")
    # Partitioned, one id could be there twice (never through the ledger, but by hand).
    execute(
        f"INSERT INTO {TABLE} SELECT DISTINCT ON (id) * FROM {PLAIN}"  # noqa: S608
        " ORDER BY id, received_at"
    )
    _build_keys(schema_editor, "id", foreign_keys)
    execute(f"DROP TABLE {PLAIN}")  # its partitions go with it


def ledger_fill(apps, schema_editor):
    """The ids of the recent reports: a retry of one of them must stay a replay."""
    ledger = apps.get_model("reports", "ReportIdLedger")._meta.db_table
    since = datetime.now(UTC) - timedelta(hours=settings.REPORT_ID_LEDGER_HOURS)
    schema_editor.execute(
        f"INSERT INTO {ledger} (id, received_at)"  # noqa: S608
        f" SELECT id, received_at FROM {TABLE} WHERE received_at >= %s",
        [schema_editor.connection.ops.adapt_datetimefield_value(since)],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0006_problem_types_per_category"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportIdLedger",
            fields=[
                ("id", models.UUIDField(primary_key=True, serialize=False)),
                ("received_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunPython(partition, unpartition),
        migrations.RunPython(ledger_fill, migrations.RunPython.noop),
    ]
