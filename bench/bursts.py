"""Bar: the burst finder, on a replay of 1 million counted reports across 200 services with 10
injected brigades, finds all 10 with no more than 2 false entries, in <= 5 s.

    .venv/bin/python bench/bursts.py            # this bar alone
    BENCH_ONLY=bursts .venv/bin/python bench/run.py

1. Data (numpy, seeded; not timed). 24 hours of reports for 200 services of very unequal
   sizes (Zipf-like: the largest about 70 a minute, the smallest a few an hour), each with a
   daily shape peaking at its audience's afternoon, plus 12 organic outages (5 to 30 times the
   usual rate for 20 to 120 minutes, a fast rise and a slow decay), of which 4 hit one app
   only: their extra reports come from that app's user agents. Keys as people send them:
   300,000 hashed /24 networks with log-normal popularity, 2,000 user agents with Zipf
   popularity (the top browser about 13% of reports); 35% of reports come from the apps,
   whose 300 user agents are a family of their own, with the platform "ios",
   near-unique reporter fingerprints, and 8% of reports through widgets on a few embedding
   sites per service. 10 brigades, on services from the largest to the smallest, 10 to 90
   minutes long, of 0.5 to 4 times the service's own reports meanwhile (at least 40): 5 from
   one network (many addresses, so many fingerprints and the usual user agents) and 5 with
   one user agent (a script's own, or a mid-popular browser's) from the usual networks. And
   10 crowds that are no brigade: on large services, one big network otherwise silent sends
   7-12% of an hour's reports (a carrier's or an office's people on a busy evening).
   Written by COPY into `reports_report` of a fresh database `outages_bench_bursts` (dropped
   on exit), hashes as the 32-hex strings intake stores.
2. Timed, three times (the table gives the median): `reports.bursts.selectors.report_arrays`
   (one query: the day's counted reports as two packed bytea aggregates; fingerprints are
   not read, since with intake's 15-minute dedupe no reporter can reach a burst's size in a
   window), `find_bursts` over them, and `burst_keys` (one query for the listed bursts'
   keys). The 5 s bar is the sum: what the moderators' list costs before rendering. Each
   part is printed, with the CPU seconds of this process and of its PostgreSQL backend
   (wall time on a busy machine is longer than CPU time: the last row gives the cores other
   processes used meanwhile).
3. Scored: a found burst is a true entry when it names a brigade's service, kind and key and
   overlaps its window; every other entry is a false one (a brigade found twice counts once
   as found and once as false). The table states the finder's rule (reports.bursts.finder:
   at least MIN_SIZE reports, MIN_SHARE of the window's, MIN_LIFT times the key's usual
   share, and MIN_Z) and each false entry's share of its window; each false entry is printed
   whole below it. Untimed, the finder runs again on the same arrays without the share floor
   (MIN_SHARE 15%, which keeps a large network or a common browser at 7-12% of a busy window
   off the moderators' list), and the table gives the false entries it keeps out.

Over 300 lines: a bench is one runnable script (data, replay, figures).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report, servers  # noqa: E402
from reports.bursts.finder import MIN_LIFT, MIN_SHARE, MIN_SIZE, MIN_Z  # noqa: E402

DATABASE = "outages_bench_bursts"
SERVICES = 200
REPORTS = 1_000_000
BRIGADES = 10
MINUTES = 1440
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
BAR_SECONDS = 5.0
BAR_FALSE = 2
CROWDS = 10  # ordinary big networks at 7-12% of an hour (_crowds)
LOOSE_SHARE = 0.0  # the finder run again without its share floor: what the floor keeps out
SEED = 20261118
NETWORKS, AGENTS, APP_AGENTS = 300_000, 2_000, 300  # agents >= AGENTS - APP_AGENTS are apps


@dataclass(frozen=True)
class Brigade:
    service: int  # index 0..SERVICES-1
    kind: str  # "network" or "agent"
    key: str
    start: int  # minute index
    end: int
    size: int


def generate(rng: np.random.Generator) -> tuple[dict[str, np.ndarray], list[Brigade]]:
    """Organic reports, organic outages and brigades as arrays of codes (see the docstring)."""
    weights = 1.0 / np.arange(1, SERVICES + 1) ** 0.9
    rank = rng.permutation(SERVICES)  # service index -> size rank
    rates = weights[rank] / weights.sum() * REPORTS / MINUTES * 0.97  # room for the brigades
    t = np.arange(MINUTES)
    peak = rng.choice([14 * 60, 20 * 60, 5 * 60], SERVICES)  # US, Europe, Asia afternoons
    shape = 1 + 0.7 * np.cos(2 * np.pi * (t[None, :] - peak[:, None]) / MINUTES)
    expected = rates[:, None] * shape / shape.mean(axis=1, keepdims=True)
    app_extra = np.zeros_like(expected)
    for i in range(12):  # organic outages
        s = int(rng.integers(SERVICES))
        start, length = int(rng.integers(60, MINUTES - 150)), int(rng.integers(20, 120))
        profile = np.exp(-np.arange(length) / (length / 3)) * (1 - np.exp(-np.arange(length) / 3))
        extra = expected[s, start : start + length] * rng.uniform(5, 30) * profile
        if i < 4:
            app_extra[s, start : start + length] += extra
        else:
            expected[s, start : start + length] += extra
    data = [
        _organic(rng, expected * 0.65, apps=False),  # on the web site
        _organic(rng, expected * 0.35 + app_extra, apps=True),
    ]
    brigades = []
    by_size = np.argsort(-rates)
    for b, position in enumerate(np.linspace(0, SERVICES - 1, BRIGADES).astype(int)):
        s = int(by_size[position])
        length = int(rng.integers(10, 91))
        start = int(rng.integers(30, MINUTES - length - 30))
        organic = expected[s, start : start + length].sum()
        size = int(max(40, rng.uniform(0.5, 4) * organic))
        kind = "network" if b % 2 == 0 else "agent"
        reports = _organic(rng, np.zeros((SERVICES, MINUTES)), apps=False, count=size)
        reports["service"][:] = s
        reports["minute"] = rng.integers(start, start + length, size)
        if kind == "network":
            code = NETWORKS + b  # a /24 no one else reports from
            reports["network"][:] = code
        else:  # a script's own user agent, or a mid-popular browser's
            code = AGENTS + b if b % 4 == 1 else int(rng.integers(40, 80))
            reports["agent"][:] = code
        data.append(reports)
        brigades.append(Brigade(s, kind, _hex(kind, code), start, start + length, size))
    data += _crowds(rng, expected, by_size)
    merged = {k: np.concatenate([d[k] for d in data]) for k in data[0]}
    return merged, brigades


def _crowds(
    rng: np.random.Generator, expected: np.ndarray, by_size: np.ndarray
) -> list[dict[str, np.ndarray]]:
    """Ordinary traffic that looks unusual: on CROWDS large services without a brigade, one
    big network (a carrier's or an office's, otherwise silent) sends 7-12% of an hour's
    reports, real people on a busy evening. Not brigades: listed, they are false entries
    (the rows moderators found to be ordinary traffic); the share floor keeps them out."""
    brigade_positions = set(np.linspace(0, SERVICES - 1, BRIGADES).astype(int))
    positions = [p for p in range(1, 40) if p not in brigade_positions][:CROWDS]
    crowds = []
    for i, position in enumerate(positions):
        s = int(by_size[position])
        start = int(rng.integers(60, MINUTES - 120))
        share = rng.uniform(0.07, 0.12)
        size = int(share / (1 - share) * expected[s, start : start + 60].sum())
        reports = _organic(rng, np.zeros((SERVICES, MINUTES)), apps=False, count=size)
        reports["service"][:] = s
        reports["minute"] = rng.integers(start, start + 60, size)
        reports["network"][:] = NETWORKS + 100 + i
        crowds.append(reports)
    return crowds


def _organic(
    rng: np.random.Generator, expected: np.ndarray, *, apps: bool, count: int | None = None
) -> dict[str, np.ndarray]:
    if count is None:
        counts = rng.poisson(expected)
        service, minute = np.nonzero(counts)
        reps = counts[service, minute]
        service, minute = np.repeat(service, reps), np.repeat(minute, reps)
    else:
        service, minute = np.zeros(count, dtype=np.int64), np.zeros(count, dtype=np.int64)
    n = len(service)
    popularity = _network_popularity()
    agents = np.minimum(rng.zipf(1.6, n), AGENTS - APP_AGENTS) - 1
    if apps:
        agents = AGENTS - APP_AGENTS + np.minimum(rng.zipf(1.6, n), APP_AGENTS) - 1
    widget = rng.random(n) < 0.08
    return {
        "service": service.astype(np.int64),
        "minute": minute.astype(np.int64),
        "fingerprint": rng.integers(0, 2**62, n),
        "network": rng.choice(NETWORKS, n, p=popularity),
        "agent": agents.astype(np.int64),
        "origin": np.where(widget, service * 4 + np.minimum(rng.zipf(2.0, n), 4) - 1, -1),
        "platform": np.full(n, 1 if apps else 0),  # web, or the app's platform
    }


_popularity: np.ndarray | None = None


def _network_popularity() -> np.ndarray:
    global _popularity
    if _popularity is None:
        weights = np.random.default_rng(7).lognormal(0, 1.5, NETWORKS)
        _popularity = weights / weights.sum()
    return _popularity


def _hex(kind: str, code: int) -> str:
    """The stored key of a code: 32 hex digits like intake's hashes (origins are site URLs)."""
    if kind == "origin":
        return f"https://site-{code}.example" if code >= 0 else ""
    salt = {"fingerprint": 1, "network": 2, "agent": 3}[kind]
    return f"{salt:02x}{code:030x}"


def load(dsn: str, data: dict[str, np.ndarray]) -> tuple[list[int], int]:
    """COPY the reports into the bench database; returns the service ids and the row count."""
    import psycopg

    n = len(data["service"])
    ids = _service_ids(dsn)
    received = (NOW - timedelta(minutes=MINUTES)).timestamp() + data["minute"] * 60.0
    received += np.random.default_rng(1).uniform(0, 59.9, n)
    columns = {kind: _strings(kind, data[kind]) for kind in ("fingerprint", "network", "agent")}
    origins = _strings("origin", data["origin"])
    service_ids = np.asarray(ids)[data["service"]]
    platforms = np.array(["web", "ios"])[data["platform"]]
    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        with cursor.copy(
            "COPY reports_report (id, service_id, kind, platform, problem, country, subdivision,"
            " source, origin, received_at, fingerprint, network, agent, counted) FROM STDIN"
        ) as copy:
            chunk = []
            for i in range(n):
                chunk.append(
                    f"{uuid.UUID(int=int(i) + 1)}\t{service_ids[i]}\tproblem\t{platforms[i]}\t"
                    f"login\tUS\t\tapi\t{origins[i]}\t{_iso(received[i])}\t{columns['fingerprint'][i]}\t"
                    f"{columns['network'][i]}\t{columns['agent'][i]}\tt\n"
                )
                if len(chunk) == 50_000:
                    copy.write("".join(chunk))
                    chunk = []
            copy.write("".join(chunk))
        cursor.execute("ANALYZE reports_report")
    return ids, n


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(float(epoch), tz=UTC).isoformat()


def _strings(kind: str, codes: np.ndarray) -> list[str]:
    uniques, inverse = np.unique(codes, return_inverse=True)
    table = [_hex(kind, int(code)) for code in uniques]
    return [table[i] for i in inverse.tolist()]


def _service_ids(dsn: str) -> list[int]:
    import psycopg

    with psycopg.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(
            "INSERT INTO outages_service (slug, name, category, url, is_active, created_at)"
            " SELECT 'svc-' || i, 'Service ' || i, 'other', '', true, now()"
            " FROM generate_series(0, %s) AS i RETURNING id",
            [SERVICES - 1],
        )
        return [row[0] for row in cursor.fetchall()]


def _score(
    found: list[Any], keys: list[str], brigades: list[Brigade], index: dict[int, int], origin: int
) -> tuple[list[dict[str, Any]], set[int], list[dict[str, Any]]]:
    """(entries, brigades matched, false entries): see the docstring's step 3."""
    entries = [
        {
            "service": index[b.service],
            "kind": b.kind,
            "key": key,
            "start": b.start - origin,
            "end": b.end - origin,
            "size": b.size,
            "share": b.share,
        }
        for b, key in zip(found, keys, strict=True)
    ]
    matched: set[int] = set()
    false = []
    for entry in entries:
        hit = next(
            (
                i
                for i, g in enumerate(brigades)
                if (g.service, g.kind, g.key) == (entry["service"], entry["kind"], entry["key"])
                and entry["start"] < g.end
                and g.start < entry["end"]
                and i not in matched
            ),
            None,
        )
        if hit is None:
            false.append(entry)
        else:
            matched.add(hit)
    return entries, matched, false


def child(dsn: str) -> dict[str, Any]:
    """In a process of its own, with DATABASE_URL set: migrate, load, time, score."""
    import django

    django.setup()
    from django.core.management import call_command

    from reports.bursts import finder
    from reports.bursts.finder import find_bursts
    from reports.bursts.selectors import burst_keys, report_arrays
    from reports.partitions import partitions_ensure

    call_command("migrate", verbosity=0)
    # The day's reports are COPYed straight in: their days' partitions first (PostgreSQL).
    partitions_ensure(days={(NOW - timedelta(minutes=MINUTES)).date(), NOW.date()})
    started = time.monotonic()
    data, brigades = generate(np.random.default_rng(SEED))
    ids, rows = load(dsn, data)
    generated = time.monotonic() - started
    since, until = NOW - timedelta(minutes=MINUTES), NOW
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    runs, cpu = [], []
    foreign = servers.ForeignCpu()
    foreign.start()
    for _ in range(3):
        cpu0 = servers.cpu_seconds([os.getpid()]), servers.cpu_seconds([backend])
        t0 = time.perf_counter()
        arrays = report_arrays(since=since, until=until)
        t1 = time.perf_counter()
        found = find_bursts(
            service=arrays.service,
            minute=arrays.minute,
            keys=arrays.codes,
            platform=arrays.platform,
        )
        t2 = time.perf_counter()
        keys = burst_keys(arrays, found)
        t3 = time.perf_counter()
        runs.append((t3 - t0, t1 - t0, t2 - t1, t3 - t2))
        cpu.append(
            (servers.cpu_seconds([os.getpid()]) - cpu0[0], servers.cpu_seconds([backend]) - cpu0[1])
        )
    others = foreign.cores()
    median = sorted(range(3), key=lambda i: runs[i][0])[1]
    total, read, find, lookup = runs[median]
    index = {service_id: i for i, service_id in enumerate(ids)}
    origin = int(since.timestamp() // 60)
    entries, matched, false = _score(found, keys, brigades, index, origin)
    # Untimed: what the share floor keeps off the list (rows like the 7-12% ones moderators
    # read as ordinary traffic): the same finder, on the same arrays, without it.
    floor = finder.MIN_SHARE
    finder.MIN_SHARE = LOOSE_SHARE
    try:
        loose = find_bursts(
            service=arrays.service,
            minute=arrays.minute,
            keys=arrays.codes,
            platform=arrays.platform,
        )
    finally:
        finder.MIN_SHARE = floor
    _, _, loose_false = _score(loose, burst_keys(arrays, loose), brigades, index, origin)
    return {
        "reports": rows,
        "read_rows": len(arrays.service),
        "services": SERVICES,
        "brigades": [b.__dict__ for b in brigades],
        "found": len(matched),
        "false": false,
        "entries": len(entries),
        "loose_false": [entry["share"] for entry in loose_false],
        "seconds": total,
        "read_seconds": read,
        "find_seconds": find,
        "keys_seconds": lookup,
        "cpu_python": cpu[median][0],
        "cpu_postgres": cpu[median][1],
        "other_cores": others,
        "runs": runs,
        "generate_seconds": round(generated, 1),
    }


@dataclass(frozen=True)
class Result:
    values: dict[str, Any]


def measure() -> Result:
    """The whole bar, in a child process against its own fresh database."""
    with servers.bench_database(DATABASE) as dsn, tempfile.TemporaryDirectory() as var:
        # The product's settings on this database, whatever the calling bench's environment
        # (make bench sets production's, which would demand a Redis this bar does not use).
        env = {
            **{k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEPLOYMENT": "embedded",
            "DEBUG": "false",
            "DATABASE_URL": dsn,
            "VAR_DIR": var,
            "LOG_LEVEL": "WARNING",
        }
        out = subprocess.run(
            [sys.executable, __file__, "--child", dsn],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return Result(json.loads(out.stdout.strip().splitlines()[-1]))


def rows(result: Result) -> list[report.Row]:
    Row, r = report.Row, result.values
    ok_found, ok_false = r["found"] == BRIGADES, len(r["false"]) <= BAR_FALSE
    ok_time = r["seconds"] <= BAR_SECONDS
    sizes = sorted(b["size"] for b in r["brigades"])
    return [
        Row(
            f"7 Burst finder: brigades found, {r['reports']:,} reports, {r['services']} services",
            f"{r['found']} of {BRIGADES}",
            f"= {BRIGADES}",
            f"{r['found'] / BRIGADES:.2f}",
            report.bar(ok_found),
        ),
        Row(
            "7 Burst finder: false entries (each printed below the table)",
            f"{len(r['false'])} of {r['entries']} listed",
            f"<= {BAR_FALSE}",
            ", ".join(f"{entry['share']:.0%}" for entry in r["false"]) or "",
            report.bar(ok_false),
        ),
        Row(
            "  the rule: a key's 30-minute window (sliding by 10) is listed with",
            f">= {MIN_SIZE} reports, >= {MIN_SHARE:.0%} of the window's,"
            f" >= {MIN_LIFT:g}x its usual share, z >= {MIN_Z:g}",
        ),
        Row(
            "  false entries the share floor keeps out (the same run without it)",
            f"{len(r['loose_false'])}",
            ", ".join(f"{share:.0%}" for share in sorted(r["loose_false"])[:12]),
        ),
        Row(
            "7 Burst finder: read from PostgreSQL + find (median of 3)",
            f"{r['seconds']:.2f} s",
            f"<= {BAR_SECONDS:.0f} s",
            f"{r['seconds'] / BAR_SECONDS:.2f}",
            report.bar(ok_time),
        ),
        Row(
            "  of which: the day's counted reports, packed (one query)",
            f"{r['read_seconds']:.2f} s",
            f"{r['read_rows']:,} rows",
        ),
        Row("  of which: find_bursts in memory", f"{r['find_seconds']:.2f} s"),
        Row("  of which: the listed bursts' keys (one query)", f"{r['keys_seconds']:.2f} s"),
        Row(
            "  CPU: this process / its PostgreSQL backend",
            f"{r['cpu_python']:.2f} s / {r['cpu_postgres']:.2f} s",
            f"other processes used {r['other_cores']:.1f} of the 2 cores meanwhile",
        ),
        Row("  brigade sizes", ", ".join(map(str, sizes))),
    ]


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        return 0
    result = measure()
    print(report.table(rows(result)))
    for entry in result.values["false"]:
        print("false entry:", entry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
