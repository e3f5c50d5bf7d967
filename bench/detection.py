"""Bar 4: one detection pass over 10,000 services with 30 days of minute buckets in PostgreSQL
takes <= 20 s and <= 1 GB of memory on this machine; the time per service, and how it grows
with the number of services and with the history length.

    .venv/bin/python bench/detection.py            # this bar alone (also section 4 of `make bench`)
    .venv/bin/python bench/detection.py --fresh    # regenerate the history and refit first

1. History. 10,000 active services of very unequal sizes (TIERS: 20 large with several
   reports a minute at their peak, 500 mid-size, the rest a few reports a day), with the
   daily and weekly shapes and the platform / problem / country mixes of
   outages.detection.synthetic, past outages, and 50 outages under way at NOW. 30 days of
   minute buckets ending at NOW (about 9.1 M rows for 9.4 M reports, 1.6 GB), written by COPY
   into the database `outages_bench_detection`. It is kept between runs: a marker row records
   what was generated and with which migrations; a later run only migrates it, and
   regenerates it (about a minute) when a migration it applied has been rewritten.
2. `baselines_fit` over every service, timed in its own process. Its result is kept too, and
   refitted when the fit's code or the migrations change (it takes minutes).
3. The incident state is reset and one pass at NOW - 1 minute is committed (the first pass
   after a reset, which opens the outages under way), so that the timed passes find the state
   of a running system and score one minute each.
4. `detection_pass` at NOW, each run in a fresh process inside a transaction that is rolled
   back (every run starts from the same state): wall time of the call, time per service, the
   process's peak RSS (VmHWM, see _peak_rss_mb) against the bars. Then shards of about 1,000 and
   3,333 services (shard_count 10 and 3), for the growth with the number of services; then
   the fit and the pass on a second database with 7 days of history
   (`outages_bench_detection_7d`, the same last 7 days), for the growth with its length.
   Also a cascade minute: 1,000 services (every 10th) spiking over the last 15 minutes at
   once, added inside the rolled-back transaction before the clock starts.

The pass is called as config.tasks.detection_pass_task calls it (with report_diversity);
the bench holds buckets only, no raw reports, so those diversity look-ups find nothing.

Each pass runs `--repeat` times (3); the table gives the median and the range of the runs.

Over 300 lines: a bench is one runnable script (history, runs, memory, figures).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report, servers  # noqa: E402
from bench.report import step  # noqa: E402
from outages.demo import service_profile  # noqa: E402
from outages.detection import synthetic  # noqa: E402
from outages.detection.synthetic import Audience, Mix  # noqa: E402
from outages.vocabulary import Kind, Platform, Problem  # noqa: E402

DATABASE = "outages_bench_detection"
DATABASE_SHORT = "outages_bench_detection_7d"
NOW = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # a Tuesday: midday in the US, evening in Europe
SERVICES = 10_000
DAYS, SHORT_DAYS = 30, 7
SEED = 20261124
GENERATOR = 1  # bump when the generated history changes: the kept databases are regenerated
BAR_SECONDS, BAR_RSS_MB = 20.0, 1024.0
SHARD_COUNTS = (10, 3, 1)  # about 1,000, 3,333 and 10,000 services per pass
STORM_EVERY = 10  # a cascade: 1,000 services spiking at once
BUCKETS = "outages_minutebucket"
MINUTES_PER_DAY = 1440
WORKS_SHARE = 0.06  # "works for me" reports per report (outages.demo.Profile.works_share)
UNKNOWN_COUNTRY = 0.04  # reports whose country the edge could not tell
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Tier:
    name: str
    count: int  # services; the last tier takes the rest
    per_day: tuple[float, float]  # average reports a day, drawn log-uniform in this range
    regional: float  # share of these services whose audience is mostly one country
    outages: float  # past outages per service in 30 days


TIERS = (
    Tier("large", 20, (1_500, 7_000), 0.0, 4),  # 2-10 reports/min at the daily peak
    Tier("mid", 500, (20, 1_000), 0.4, 3),
    Tier("tiny", SERVICES - 520, (0.5, 12), 0.7, 0.5),
)
ONGOING = 50  # services with an outage under way at NOW
_CATEGORIES = {
    "social": 10,
    "messaging": 8,
    "streaming": 10,
    "gaming": 12,
    "cloud": 12,
    "finance": 15,
    "telecom": 15,
    "productivity": 8,
    "other": 10,
}
_HOMES = {
    "US": 30,
    "GB": 8,
    "IN": 7,
    "DE": 6,
    "JP": 6,
    "BR": 6,
    "FR": 5,
    "CA": 4,
    "MX": 3,
    "ES": 3,
    "IT": 3,
    "AU": 2,
    "NL": 2,
    "PL": 2,
    "TR": 2,
    "KR": 2,
}
_KINDS = (Kind.PROBLEM.value, Kind.WORKS.value)
_PLATFORMS = tuple(Platform.values)
_PROBLEMS = ("", *Problem.values)  # "" for "works for me"
_COUNTRIES = ("", *sorted(set(synthetic.COUNTRIES.names) | set(_HOMES)))


# --- The history ------------------------------------------------------------------------------


@dataclass
class Catalogue:
    """The generated services, by index 0..SERVICES-1 (id order), and their past outages."""

    tier: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    audience: np.ndarray  # index into audiences
    peak: np.ndarray  # reports per minute at the busiest minute of a week
    audiences: list[Audience]
    country_index: list[np.ndarray]  # per audience: its countries' indices in _COUNTRIES
    # (service, onset, peak_at, peak, decay): minutes relative to NOW, reports per minute.
    outages: list[tuple[int, float, float, float, float]]


CATEGORIES = tuple(_CATEGORIES)


def catalogue() -> Catalogue:
    """The services and their outages, the same for every database and every run (SEED)."""
    rng = np.random.default_rng([SEED, 0])
    tier = rng.permutation(np.repeat(np.arange(len(TIERS)), [t.count for t in TIERS]))
    weights = np.array(list(_CATEGORIES.values()), dtype=float)
    category = rng.choice(len(CATEGORIES), size=SERVICES, p=weights / weights.sum())
    homes = list(_HOMES)
    home_p = np.array(list(_HOMES.values()), dtype=float) / sum(_HOMES.values())
    audiences: dict[Audience, int] = {}
    audience = np.zeros(SERVICES, dtype=np.int64)
    per_day = np.zeros(SERVICES)
    for t, spec in enumerate(TIERS):
        members = np.flatnonzero(tier == t)
        low, high = np.log(spec.per_day)
        per_day[members] = np.exp(rng.uniform(low, high, members.size))
        regional = rng.random(members.size) < spec.regional
        home = rng.choice(len(homes), size=members.size, p=home_p)
        for s, is_regional, h in zip(members, regional, home, strict=True):
            usual = service_profile(slug="", category=CATEGORIES[category[s]]).audience
            mix = _regional(homes[h]) if is_regional else usual.countries
            key = Audience(mix, shape=usual.shape, weekend_factor=usual.weekend_factor)
            audience[s] = audiences.setdefault(key, len(audiences))
    listed = list(audiences)
    # A week of each audience's rate, 1.0 at its busiest minute: peak from reports a day.
    week_mean = np.array(
        [_curves(a, NOW - timedelta(days=7), 7 * MINUTES_PER_DAY)[0].mean() for a in listed]
    )
    peak = per_day / (MINUTES_PER_DAY * week_mean[audience])
    country_index = [np.array([_COUNTRIES.index(c) for c in a.countries.names]) for a in listed]
    return Catalogue(
        tier, category, audience, peak, listed, country_index, _outages(rng, tier, peak)
    )


def _regional(home: str) -> Mix:
    """Mostly one country, a few reports from abroad."""
    abroad = {code: 2.0 for code in ("US", "GB", "DE", "IN") if code != home}
    return Mix.of(**{home: 92.0}, **abroad)


def _outages(
    rng: np.random.Generator, tier: np.ndarray, peak: np.ndarray
) -> list[tuple[int, float, float, float, float]]:
    """Past outages, Poisson in number per tier, uniform over the 30 days; and ONGOING ones
    that began 5 to 40 minutes before NOW. A spike's peak is 5 to 40 times the service's
    usual peak, and at least 1 to 8 reports a minute (a tiny service's outage still shows)."""
    found = []
    history = DAYS * MINUTES_PER_DAY
    for t, spec in enumerate(TIERS):
        members = np.flatnonzero(tier == t)
        for s, n in zip(members, rng.poisson(spec.outages, members.size), strict=True):
            found += [(int(s), -float(rng.uniform(60, history))) for _ in range(n)]
    found += [
        (int(s), -float(rng.uniform(5, 40))) for s in rng.choice(SERVICES, ONGOING, replace=False)
    ]
    outages = []
    for s, onset in found:
        height = max(peak[s] * rng.uniform(5, 40), rng.uniform(1, 8))
        rise, decay = rng.uniform(3, 20), rng.uniform(10, 90)
        outages.append((s, onset, onset + rise, float(height), float(decay)))
    return outages


def _curves(audience: Audience, start: datetime, minutes: int) -> tuple[np.ndarray, np.ndarray]:
    """The audience's total rate per minute (weekly busiest minute 1.0) and, per minute, the
    cumulative shares of its countries (countries x minutes)."""
    rates = synthetic.audience_rates(start, minutes, peak_per_minute=1.0, audience=audience)
    total = rates.sum(axis=0)
    return total, np.cumsum(rates, axis=0) / total


@dataclass(frozen=True)
class Day:
    data: bytes  # COPY text lines of outages_minutebucket
    rows: int
    reports: int


def history_day(cat: Catalogue, service_ids: np.ndarray, day: int) -> Day:
    """The buckets of the day `day` days before NOW's (0: the last 24 hours), from its own
    seed, so a 7-day database holds the same last 7 days as the 30-day one."""
    rng = np.random.default_rng([SEED, 1, day])
    start = NOW - timedelta(days=day + 1)
    first = -(day + 1) * MINUTES_PER_DAY  # relative to NOW
    curves = [_curves(a, start, MINUTES_PER_DAY) for a in cat.audiences]
    rate = cat.peak[:, None] * np.vstack([total for total, _ in curves])[cat.audience]
    for s, onset, peak_at, height, decay in cat.outages:
        if onset < first + MINUTES_PER_DAY and peak_at + 10 * decay > first:
            wave = synthetic.Wave(onset - first, peak_at - first, height, decay)
            rate[s] += synthetic.spike_profile(MINUTES_PER_DAY, waves=[wave])
    counts = rng.poisson(rate).ravel()
    cells = np.flatnonzero(counts)
    service, minute = np.divmod(np.repeat(cells, counts[cells]), MINUTES_PER_DAY)
    n = service.size
    works = (rng.random(n) < WORKS_SHARE).astype(np.int64)
    category = cat.category[service]
    platform = _pick(rng, _PLATFORM_CUMULATIVE[category])
    problem = np.where(works == 1, 0, 1 + _pick(rng, _PROBLEM_CUMULATIVE[category]))
    country = np.zeros(n, dtype=np.int64)
    audience = cat.audience[service]
    for a in np.unique(audience):
        mine = np.flatnonzero(audience == a)
        shares = curves[a][1][:, minute[mine]].T  # reports x countries, cumulative
        picked = np.minimum(_pick(rng, shares), shares.shape[1] - 1)
        country[mine] = cat.country_index[a][picked]
    country[rng.random(n) < UNKNOWN_COUNTRY] = 0
    combo = ((works * len(_PLATFORMS) + platform) * len(_PROBLEMS) + problem) * len(_COUNTRIES)
    key, count = np.unique(
        (service * MINUTES_PER_DAY + minute) * _COMBOS + combo + country, return_counts=True
    )
    cell, combo = np.divmod(key, _COMBOS)
    service, minute = np.divmod(cell, MINUTES_PER_DAY)
    labels = [
        f"{start + timedelta(minutes=m):%Y-%m-%d %H:%M}:00+00" for m in range(MINUTES_PER_DAY)
    ]
    ids = service_ids.tolist()
    lines = [
        f"{ids[s]}\t{labels[m]}\t{_COMBO_LABELS[c]}\t{k}\n"
        for s, m, c, k in zip(
            service.tolist(), minute.tolist(), combo.tolist(), count.tolist(), strict=True
        )
    ]
    return Day("".join(lines).encode(), len(lines), n)


def _pick(rng: np.random.Generator, cumulative: np.ndarray) -> np.ndarray:
    """One index per row of cumulative shares (rows x choices)."""
    return (rng.random(len(cumulative))[:, None] > cumulative).sum(axis=1)


def _mix_table(mixes: dict[str, Mix], default: Mix, names: tuple[str, ...]) -> np.ndarray:
    """Cumulative shares per category (rows in CATEGORIES order) over `names`."""
    table = np.zeros((len(CATEGORIES), len(names)))
    for row, category in enumerate(CATEGORIES):
        mix = mixes.get(category, default)
        for name, share in zip(mix.names, mix.shares, strict=True):
            table[row, names.index(name)] = share
    cumulative = np.cumsum(table, axis=1)
    cumulative[:, -1] = 1.0  # no index past the last name from rounding
    return cumulative


_PLATFORM_CUMULATIVE = _mix_table(synthetic.PLATFORMS, synthetic.DEFAULT_PLATFORMS, _PLATFORMS)
_PROBLEM_CUMULATIVE = _mix_table(synthetic.PROBLEMS, synthetic.DEFAULT_PROBLEMS, _PROBLEMS[1:])
_COMBOS = len(_KINDS) * len(_PLATFORMS) * len(_PROBLEMS) * len(_COUNTRIES)
_COMBO_LABELS = [
    f"{kind}\t{platform}\t{problem}\t{country}"
    for kind in _KINDS
    for platform in _PLATFORMS
    for problem in _PROBLEMS
    for country in _COUNTRIES
]


# --- The databases ----------------------------------------------------------------------------


@dataclass
class History:
    database: str
    days: int
    rows: int
    reports: int
    seconds: float  # to generate and load; 0 when the kept database was used
    size_mb: float
    generated: bool


def dsn(database: str) -> str:
    return f"postgres://postgres@127.0.0.1:5432/{database}"


def expected_marker(days: int) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "seed": SEED,
        "services": SERVICES,
        "days": days,
        "now": NOW.isoformat(),
    }


def history_ensure(database: str, *, days: int, fresh: bool) -> History:
    """The database with `days` of history: kept when its marker says so (and migrated to
    the current schema), else generated."""
    marker = None if fresh else _marker(database, "data")
    if marker is not None and all(marker.get(k) == v for k, v in expected_marker(days).items()):
        applied = marker.get("migrations", {"(not recorded)": ""})
        changed = [name for name, digest in applied.items() if migrations().get(name) != digest]
        if not changed:
            _child(database, "migrate")  # newer migrations, if any
            _marker_set(database, "data", {**marker, "migrations": migrations()})
            return History(
                database,
                days,
                marker["rows"],
                marker["reports"],
                0.0,
                _size_mb(database),
                generated=False,
            )
        step(f"{database}: applied migrations changed since generated ({', '.join(changed)})")
    step(f"generating {days} days of history for {SERVICES:,} services into {database}")
    started = time.perf_counter()
    with psycopg.connect(servers.PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{database}"')
    _child(database, "migrate")
    cat = catalogue()
    rows = reports = 0
    with psycopg.connect(dsn(database)) as conn:
        conn.execute("SET synchronous_commit = off")
        conn.execute("SET maintenance_work_mem = '512MB'")
        # Generated ids are valid: skip the foreign-key triggers (superuser only).
        conn.execute("SET session_replication_role = replica")
        service_ids = _services_insert(conn, cat)
        with _indexes_dropped(conn, BUCKETS):
            columns = "service_id, minute, kind, platform, problem, country, count"
            for day in range(days - 1, -1, -1):
                chunk = history_day(cat, service_ids, day)
                with conn.cursor().copy(f"COPY {BUCKETS} ({columns}) FROM STDIN") as copy:
                    copy.write(chunk.data)
                rows, reports = rows + chunk.rows, reports + chunk.reports
            step(f"  {rows:,} bucket rows ({reports:,} reports) copied; building the indexes")
        conn.execute("SET session_replication_role = origin")
        conn.commit()
        conn.autocommit = True
        conn.execute(f"VACUUM ANALYZE {BUCKETS}")
        conn.execute("ANALYZE outages_service")
    data = {**expected_marker(days), "rows": rows, "reports": reports, "migrations": migrations()}
    _marker_set(database, "data", data)
    seconds = time.perf_counter() - started
    step(f"  {database}: {rows:,} rows in {seconds:.0f} s")
    return History(database, days, rows, reports, seconds, _size_mb(database), generated=True)


def _services_insert(conn: psycopg.Connection, cat: Catalogue) -> np.ndarray:
    created = NOW - timedelta(days=DAYS + 1)
    sql = "COPY outages_service (slug, name, category, url, is_active, created_at) FROM STDIN"
    with conn.cursor().copy(sql) as copy:
        for i in range(SERVICES):
            tier = TIERS[cat.tier[i]].name
            copy.write_row(
                (
                    f"bench-{i:05d}",
                    f"Bench {tier} {i:05d}",
                    CATEGORIES[cat.category[i]],
                    "",
                    True,
                    created,
                )
            )
    ids = conn.execute("SELECT id FROM outages_service ORDER BY slug").fetchall()
    return np.array([row[0] for row in ids], dtype=np.int64)


@contextlib.contextmanager
def _indexes_dropped(conn: psycopg.Connection, table: str) -> Iterator[None]:
    """Load without the table's secondary indexes and unique constraints, then rebuild them
    from their own definitions (one sort each instead of millions of random inserts)."""
    constraints = conn.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'u'",
        (table,),
    ).fetchall()
    indexes = conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = %s::regclass AND NOT i.indisprimary"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        (table,),
    ).fetchall()
    for name, _ in constraints:
        conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        conn.execute(f"DROP INDEX {name}")
    yield
    for name, definition in constraints:
        conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in indexes:
        conn.execute(definition)


def _marker(database: str, name: str) -> dict[str, Any] | None:
    with contextlib.suppress(psycopg.OperationalError, psycopg.errors.UndefinedTable):
        with psycopg.connect(dsn(database)) as conn:
            row = conn.execute(
                "SELECT value FROM bench_detection_marker WHERE name = %s", (name,)
            ).fetchone()
            return row[0] if row else None
    return None


def _marker_set(database: str, name: str, value: dict[str, Any]) -> None:
    with psycopg.connect(dsn(database), autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_detection_marker"
            " (name text PRIMARY KEY, value jsonb NOT NULL)"
        )
        conn.execute(
            "INSERT INTO bench_detection_marker VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            (name, json.dumps(value)),
        )


def _size_mb(database: str) -> float:
    with psycopg.connect(dsn(database)) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return row[0] / 2**20 if row else 0.0


def migrations() -> dict[str, str]:
    """The outages app's migrations and a digest of each: one rewritten in place (before it
    is committed) makes the kept database's schema stale."""
    folder = ROOT / "outages" / "migrations"
    return {path.stem: _digest([path]) for path in sorted(folder.glob("0*.py"))}


def fit_code() -> str:
    """What stored baselines depend on: the fit's code (baselines_fit, series_counts,
    fit_baseline and the modules it imports); `--refit` if that list is stale. (A rewritten
    migration regenerates the database; a new one leaves them, as it does in production.)"""
    paths = [ROOT / "outages" / "services" / f"{name}.py" for name in ("baselines", "series")]
    paths += [ROOT / "outages" / "detection" / f"{name}.py" for name in _FIT_MODULES]
    return _digest(paths)


_FIT_MODULES = (
    "baseline",
    "config",
    "counts",
    "noise",
    "profile",
    "seasonal",
    "tails",
    "timebuckets",
)


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        if path.exists():
            digest.update(str(path.relative_to(ROOT)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


# --- Timed runs in child processes ------------------------------------------------------------


@dataclass
class Run:
    """One child process: what it measured of the call and of itself."""

    seconds: float  # the call alone (wall)
    cpu_seconds: float  # the call alone, this process's CPU (PostgreSQL's is not in it)
    rss_before_mb: float  # the process before the call: Python, Django, the code imported
    queries: int
    values: dict[str, Any]  # the call's result: PassResult's fields, or series fitted
    max_rss_mb: float  # peak RSS of the whole process (VmHWM), Django included
    process_seconds: float  # the whole process, start-up included
    other_cores: float  # other people's CPU meanwhile (bench.servers.ForeignCpu)


def _child(database: str, what: str, *args: str) -> Run:
    """Run `bench/detection.py --child what args` against the database; its last output line
    is the JSON of its measures."""
    with tempfile.TemporaryDirectory(prefix="outages-bench-detection-") as var:
        # The product's settings on this database, whatever the calling bench's environment.
        env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEPLOYMENT": "embedded",
            "DEBUG": "false",
            "DATABASE_URL": dsn(database),
            "VAR_DIR": var,
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "false",
        }
        argv = [sys.executable, __file__, "--child", what, *args]
        foreign = servers.ForeignCpu()
        foreign.start()
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, check=False)
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"bench/detection.py --child {what} {' '.join(args)} failed")
    measured = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return Run(**measured, process_seconds=elapsed, other_cores=foreign.cores())


def _peak_rss_mb() -> float:
    """This process's peak RSS since it started (VmHWM). Not ru_maxrss: on Linux a child's
    ru_maxrss starts at its parent's RSS when forked (here the generator's, 0.5 GB)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def child_main(what: str, args: list[str]) -> None:
    """In the child: set Django up on DATABASE_URL, do one thing, print its measures."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    if what == "migrate":
        call_command("migrate", verbosity=0)
        print(
            json.dumps(
                {
                    "seconds": 0,
                    "cpu_seconds": 0,
                    "queries": 0,
                    "rss_before_mb": 0,
                    "max_rss_mb": _peak_rss_mb(),
                    "values": {},
                }
            )
        )
        return
    from outages.services.baselines import baselines_fit
    from outages.services.detection import detection_early_pass, detection_pass

    counter = _QueryCounter()
    rss_before = _peak_rss_mb()
    # Every run starts from the same state.
    rolled_back = what in ("pass", "storm", "early", "early-storm")
    with (
        connection.execute_wrapper(counter),
        transaction.atomic() if rolled_back else contextlib.nullcontext(),
    ):
        if what in ("storm", "early-storm"):
            _storm()  # before the clock starts
        if what.startswith("early"):  # the full pass of the minute before, untimed
            detection_pass(now=NOW, **_shard(int(args[0])))
        counter.queries = 0  # only the timed call's statements
        wall, cpu = time.perf_counter(), time.process_time()
        if what == "baselines":
            days = int(args[0])
            values: dict[str, Any] = {"series": baselines_fit(now=NOW, **_history(days))}
        elif what == "warm":  # the state a running system has: one pass a minute before
            _state_reset()
            values = _plain(detection_pass(now=NOW - timedelta(minutes=1), **_shard(1)))
        elif what.startswith("early"):  # half-way through the minute after
            early = detection_early_pass(now=NOW + timedelta(seconds=30), **_shard(int(args[0])))
            values = _plain(early)
        elif rolled_back:
            values = _plain(detection_pass(now=NOW, **_shard(int(args[0]))))
        else:
            raise SystemExit(f"unknown child step {what!r}")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if rolled_back:
            transaction.set_rollback(True)
    print(
        json.dumps(
            {
                "seconds": wall,
                "cpu_seconds": cpu,
                "queries": counter.queries,
                "rss_before_mb": rss_before,
                "max_rss_mb": _peak_rss_mb(),
                "values": values,
            },
            default=str,
        )
    )


def _storm() -> None:
    """A cascade: every STORM_EVERY-th service gets 20-26 more reports a minute over the last
    15 minutes (web, US, connection), inside the caller's transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BUCKETS} (service_id, minute, kind, platform, problem, country, count)"
            " SELECT s.id, m, 'problem', 'web', 'connection', 'US', 20 + s.id %% 7"
            " FROM outages_service s, generate_series(%s, %s, interval '1 minute') m"
            " WHERE s.id %% %s = 1 ON CONFLICT (service_id, minute, kind, platform, problem,"
            f" country) DO UPDATE SET count = {BUCKETS}.count + EXCLUDED.count",
            [NOW - timedelta(minutes=15), NOW - timedelta(minutes=1), STORM_EVERY],
        )


def _shard(count: int) -> dict[str, Any]:
    """Shard 0 of `count`, and the rest of what the Celery task passes detection_pass."""
    from outages.services import detection

    parameters = inspect.signature(detection.detection_pass).parameters
    if "shard" not in parameters:
        return {"shard_index": 0, "shard_count": count}
    from outages.services.series import Shard

    kwargs: dict[str, Any] = {"shard": Shard(index=0, count=count)}
    if "diversity" in parameters:  # as config.tasks.detection_pass_task calls it
        from reports.selectors import report_diversity

        kwargs["diversity"] = report_diversity
    return kwargs


def _history(days: int) -> dict[str, Any]:
    """The history baselines_fit reads: all the database holds."""
    from outages.services import baselines

    if "history" in inspect.signature(baselines.baselines_fit).parameters:
        return {"history": timedelta(days=days)}
    return {}


class _QueryCounter:
    """Statements sent (a server-side cursor's fetches not counted)."""

    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


def _state_reset() -> None:
    """Forget every incident, series state and pass cursor (outages' detection state)."""
    from django.db import connection

    from outages import models

    names = ("IncidentEvent", "Incident", "Cascade", "SeriesState", "DetectionCursor")
    tables = [getattr(models, n)._meta.db_table for n in names if hasattr(models, n)]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def _plain(result: Any) -> dict[str, Any]:
    if hasattr(result, "__dataclass_fields__"):
        return {k: v for k, v in asdict(result).items() if isinstance(v, int | float | str)}
    return {k: v for k, v in vars(result).items() if isinstance(v, int | float | str)}


# --- The measurement ---------------------------------------------------------------------------


@dataclass
class Passes:
    services: int
    shard_count: int
    runs: list[Run]

    @property
    def seconds(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def max_rss_mb(self) -> float:
        return max(run.max_rss_mb for run in self.runs)

    def spread(self) -> str:
        times = sorted(run.seconds for run in self.runs)
        return f"runs {times[0]:.2f}-{times[-1]:.2f}" if len(times) > 1 else "1 run"

    def median_run(self) -> Run:
        return sorted(self.runs, key=lambda run: run.seconds)[len(self.runs) // 2]


@dataclass
class Fit:
    run: Run
    cached: bool
    services: int = SERVICES


@dataclass
class Result:
    history: History
    short_history: History | None
    fit: Fit
    short_fit: Fit | None
    passes: list[Passes]  # by SHARD_COUNTS
    storm: Passes
    short_pass: Passes | None
    warm: Run
    early: Passes | None = None  # the early pass (every 15 s), quiet and during the storm
    early_storm: Passes | None = None
    code: str = field(default_factory=fit_code)

    @property
    def full(self) -> Passes:
        return next(p for p in self.passes if p.shard_count == 1)


def measure(
    *, fresh: bool = False, refit: bool = False, repeat: int = 3, history_length: bool = True
) -> Result:
    history = history_ensure(DATABASE, days=DAYS, fresh=fresh)
    fit = fit_ensure(DATABASE, days=DAYS, fresh=fresh or refit or history.generated)
    warmed = warm(DATABASE)
    passes = [timed_passes(DATABASE, shard_count=n, repeat=repeat) for n in SHARD_COUNTS]
    storm = timed_passes(DATABASE, shard_count=1, repeat=repeat, what="storm")
    early = timed_passes(DATABASE, shard_count=1, repeat=repeat, what="early")
    early_storm = timed_passes(DATABASE, shard_count=1, repeat=repeat, what="early-storm")
    short_history = short_fit = short_pass = None
    if history_length:
        short_history = history_ensure(DATABASE_SHORT, days=SHORT_DAYS, fresh=fresh)
        again = fresh or refit or short_history.generated
        short_fit = fit_ensure(DATABASE_SHORT, days=SHORT_DAYS, fresh=again)
        warm(DATABASE_SHORT)
        short_pass = timed_passes(DATABASE_SHORT, shard_count=1, repeat=repeat)
    return Result(
        history,
        short_history,
        fit,
        short_fit,
        passes,
        storm,
        short_pass,
        warmed,
        early,
        early_storm,
    )


def fit_ensure(database: str, *, days: int, fresh: bool) -> Fit:
    """baselines_fit over every service, unless done with this code (and still stored)."""
    code = fit_code()
    kept = None if fresh else _marker(database, "baselines")
    if kept is not None and kept["code"] == code and set(kept["fit"]) == set(Run.__annotations__):
        fit = Run(**kept["fit"])
        if _stored_baselines(database) == fit.values.get("series"):
            return Fit(fit, cached=True)
    step(f"baselines_fit over {SERVICES:,} services in {database} ({days} d)")
    fit = _child(database, "baselines", str(days))
    step(f"  {fit.seconds:.1f} s, {fit.values}, {fit.max_rss_mb:.0f} MB")
    _marker_set(database, "baselines", {"code": code, "fit": asdict(fit)})
    return Fit(fit, cached=False)


def warm(database: str) -> Run:
    """The state a running system has: incident state reset, then one committed pass at
    NOW - 1 minute (it scores NOW - 2 minutes), so a pass at NOW scores one minute."""
    step(f"{database}: state reset, one committed pass at NOW - 1 minute")
    _child(database, "migrate")  # a migration added since the run began
    run = _child(database, "warm")
    step(f"  {run.seconds:.2f} s, {run.max_rss_mb:.0f} MB, {run.values}")
    return run


def _stored_baselines(database: str) -> int:
    with psycopg.connect(dsn(database)) as conn:
        row = conn.execute("SELECT count(*) FROM outages_seriesbaseline").fetchone()
    return row[0] if row else 0


def timed_passes(database: str, *, shard_count: int, repeat: int, what: str = "pass") -> Passes:
    with psycopg.connect(dsn(database)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM outages_service WHERE is_active AND id %% %s = 0",
            (shard_count,),
        ).fetchone()
    services = row[0] if row and shard_count > 1 else SERVICES
    storm = f", {SERVICES // STORM_EVERY:,} of them spiking" if "storm" in what else ""
    step(f"{what} over {services:,} services{storm} (shard 0/{shard_count}), {repeat} runs")
    runs = []
    for _ in range(repeat):
        runs.append(_child(database, what, str(shard_count)))
        step(f"  {runs[-1].seconds:.2f} s, {runs[-1].max_rss_mb:.0f} MB, {runs[-1].values}")
    return Passes(services, shard_count, runs)


# --- The table -------------------------------------------------------------------------------


def rows(r: Result) -> list[report.Row]:
    Row, full = report.Row, r.full
    run, warm = full.median_run(), r.warm
    fixed, slope = _line([(p.services, p.seconds) for p in r.passes])
    smallest = min(r.passes, key=lambda p: p.services)
    growth = f"{full.services / smallest.services:.0f}x services: "
    growth += f"{full.seconds / smallest.seconds:.1f}x the time"
    out = [
        Row(
            f"4 Detection pass, {full.services:,} services, {DAYS} d of buckets",
            f"{full.seconds:.2f} s ({full.spread()})",
            f"<= {BAR_SECONDS:.0f} s",
            f"{full.seconds / BAR_SECONDS:.2f}",
            report.bar(full.seconds <= BAR_SECONDS),
        ),
        Row(
            "4 Detection pass, peak RSS of its process",
            f"{full.max_rss_mb:.0f} MB",
            f"<= {BAR_RSS_MB:.0f} MB",
            f"{full.max_rss_mb / BAR_RSS_MB:.2f}",
            report.bar(full.max_rss_mb <= BAR_RSS_MB),
        ),
        Row(
            "  time per service / per series",
            f"{1000 * full.seconds / full.services:.2f} ms"
            f" / {1000 * full.seconds / run.values.get('series', 1):.3f} ms",
            f"{1000 * BAR_SECONDS / SERVICES:.1f} ms per service at the bar",
        ),
        Row("  pass result", _values(run.values)),
        Row(
            "  CPU of the pass process",
            f"{run.cpu_seconds:.2f} s of {run.seconds:.2f} s",
            f"rest: waiting for PostgreSQL or a core; {run.queries} statements",
        ),
        Row(
            "  RSS before the call (Django, imports)",
            f"{run.rss_before_mb:.0f} MB",
            f"the pass adds {full.max_rss_mb - run.rss_before_mb:.0f} MB",
        ),
        Row("  process wall, start-up included", f"{run.process_seconds:.2f} s"),
        Row(
            "  first pass after a state reset (committed)",
            f"{warm.seconds:.2f} s",
            _values(warm.values),
        ),
        *(
            Row(
                f"  pass, {p.services:,} services (shard 0/{p.shard_count})",
                f"{p.seconds:.2f} s, {1000 * p.seconds / p.services:.2f} ms/service",
                f"{p.max_rss_mb:.0f} MB; vs {full.services:,}",
                f"{p.seconds / full.seconds:.2f}",
            )
            for p in r.passes
            if p.shard_count != 1
        ),
        Row(
            "  growth with services (least squares)",
            f"{fixed:.2f} s + {1000 * slope:.3f} ms x services",
            growth,
        ),
        Row(
            "  services at the 20 s bar (extrapolated)",
            f"{(BAR_SECONDS - fixed) / slope:,.0f}",
            "if the growth stays linear",
        ),
    ]
    storm = r.storm.median_run()
    out.append(
        Row(
            f"  pass while {SERVICES // STORM_EVERY:,} services spike at once",
            f"{r.storm.seconds:.2f} s ({r.storm.spread()})",
            f"{_values(storm.values)}; {storm.queries:,} statements",
            f"{r.storm.seconds / BAR_SECONDS:.2f}",
        )
    )
    for early, when in ((r.early, "quiet minute"), (r.early_storm, "storm")):
        if early is not None:
            got = early.median_run()
            out.append(
                Row(
                    f"  early pass (every 15 s), {when}",
                    f"{early.seconds:.2f} s ({early.spread()})",
                    f"{_values(got.values)}; {got.queries:,} statements",
                    f"{early.seconds / full.seconds:.2f} of a pass",
                )
            )
    if r.short_pass is not None:
        short, series = r.short_pass, r.short_pass.median_run().values.get("series", 1)
        each = f"{series:,} series, {1000 * short.seconds / series:.3f} ms each"
        out.append(
            Row(
                f"  pass, {SERVICES:,} services, {SHORT_DAYS} d of buckets",
                f"{short.seconds:.2f} s ({short.spread()})",
                f"{each}; {short.max_rss_mb:.0f} MB",
                f"{short.seconds / full.seconds:.2f}",
            )
        )
    out += _fit_rows(r)
    out += _history_rows(r)
    noise = ", ".join(f"{max(run.other_cores, 0):.1f}" for p in r.passes for run in p.runs)
    out.append(Row("Others' CPU in each pass (cores of 2)", noise, "0 = quiet machine"))
    return out


def _values(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in values.items())


def _fit_rows(r: Result) -> list[report.Row]:
    Row, fit = report.Row, r.fit
    cached = " (kept from an earlier run)" if fit.cached else ""
    out = [
        Row(
            f"4 baselines_fit, {SERVICES:,} services, {DAYS} d{cached}",
            f"{fit.run.seconds:.1f} s, {1000 * fit.run.seconds / SERVICES:.2f} ms/service",
            f"{fit.run.values.get('series', 0):,} series, {fit.run.max_rss_mb:.0f} MB",
        ),
    ]
    if r.short_fit is not None:
        short = r.short_fit.run
        out.append(
            Row(
                f"  baselines_fit, {SHORT_DAYS} d",
                f"{short.seconds:.1f} s, {1000 * short.seconds / SERVICES:.2f} ms/service",
                f"{short.values.get('series', 0):,} series, {short.max_rss_mb:.0f} MB",
                f"{short.seconds / fit.run.seconds:.2f}",
            )
        )
    return out


def _history_rows(r: Result) -> list[report.Row]:
    out = []
    for h in (r.history, r.short_history):
        if h is None:
            continue
        made = f"generated in {h.seconds:.0f} s" if h.generated else "kept from an earlier run"
        out.append(
            report.Row(
                f"  history, {h.days} d ({h.database})",
                f"{h.rows:,} rows, {h.reports:,} reports",
                f"{h.size_mb:,.0f} MB; {made}",
            )
        )
    return out


def _line(points: list[tuple[int, float]]) -> tuple[float, float]:
    """Least-squares intercept and slope."""
    x, y = np.array([p[0] for p in points], float), np.array([p[1] for p in points])
    slope, intercept = np.polyfit(x, y, 1)
    return float(intercept), float(slope)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh", action="store_true", help="regenerate the history and refit")
    parser.add_argument("--refit", action="store_true", help="refit the kept baselines")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each pass (3)")
    parser.add_argument("--no-history-length", action="store_true", help="skip the 7-day database")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args.child[0], args.child[1:])
        return 0
    started = time.monotonic()
    result = measure(
        fresh=args.fresh,
        refit=args.refit,
        repeat=args.repeat,
        history_length=not args.no_history_length,
    )
    table = rows(result)
    print(report.table(table))
    path = report.save({"detection": result, "wall_seconds": time.monotonic() - started}, table)
    print(f"\n{sum(row.verdict == 'FAIL' for row in table)} bar(s) failed; results in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
