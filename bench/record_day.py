"""A record day, end to end (issue 18 item 5; not in `make bench`, it runs long).

Replays the Facebook event of 2024 (6.5 M reports in about 2 hours on one service) with time
compressed and reports not: every report is a real POST through the intake's HTTP path
(gunicorn as config/gunicorn.py, the AOF-always Redis stream) and the real drain (Celery
worker + beat, as docker-compose.yml runs them) into the day-partitioned PostgreSQL table,
as fast as this machine takes them. Beside it:
- ordinary traffic on 1,000 other services at a steady rate (a thread of this process);
- page fetchers loading the busy service's page (wrk, 64 connections, browser-like GETs, in
  slices of a few seconds) on web processes of their own, as docs/scaling.md deploys them;
- a sampler of the stream: the drain's backlog and its lag (the age of the oldest report not
  yet stored).

Prints reports accepted (the intake's own counter, and the stream's entries added) vs stored
and counted (raw rows, minute buckets) — they must be equal — the drain's largest lag and
backlog, the detection passes that ran during the peak (the Celery worker's log), the page
p99 during the peak, and the rate, with how long the full 6.5 M would take at it.

    .venv/bin/python bench/record_day.py                    # 6.5 M reports (hours here)
    .venv/bin/python bench/record_day.py --reports 300000   # a quick run, a few minutes

Its own database (`--database`, default outages_bench_record, dropped on exit) and Redis;
the Celery broker is BENCH_BROKER_URL (Redis db 14 unless set).

Over 300 lines: the whole record day (its load, sampler and figures) reads in one place.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402
import redis as redis_lib  # noqa: E402

from bench import report, servers  # noqa: E402
from bench.intake import INTAKE_PATH, warm_up  # noqa: E402
from bench.loadgen import GET_SCRIPT, Load, wrk  # noqa: E402

RECORD_SCRIPT = Path(__file__).resolve().parent / "wrk" / "record.lua"
TARGET = "facebook"
EVENT_SECONDS = 2 * 3600  # the real event's duration
BROWSER = ["Accept-Encoding: gzip, br"]
STREAM = "outages:reports"


@dataclass(frozen=True)
class Result:
    wrk: dict[str, int]
    peak_seconds: float
    other_cores: float
    accepted: int  # the intake's counter over the run
    entries_added: int  # the stream's XADDs over the run
    ordinary_accepted: int
    target_rows: int
    target_counted: int
    target_buckets: int
    other_rows: int
    drain_tail_seconds: float
    max_lag_seconds: float
    max_backlog: int
    detection: dict[str, list[float]]
    pages: list[Load]


@dataclass
class Sampler:
    """The stream every second: backlog (entries not yet stored) and lag (age of the oldest)."""

    redis: redis_lib.Redis
    max_lag_s: float = 0.0
    max_backlog: int = 0
    samples: list[tuple[float, int, float]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.wait(1.0):
            backlog = int(self.redis.xlen(STREAM))
            lag = 0.0
            if backlog:
                oldest = self.redis.xrange(STREAM, count=1)
                if oldest:
                    millis = int(oldest[0][0].split(b"-")[0])
                    lag = max(time.time() - millis / 1000, 0.0)
            self.max_lag_s = max(self.max_lag_s, lag)
            self.max_backlog = max(self.max_backlog, backlog)
            self.samples.append((time.time(), backlog, lag))


@dataclass
class Ordinary:
    """Reports on the 1,000 other services at a steady rate, each from its own reporter."""

    url: str
    slugs: list[str]
    rate: float
    sent: int = 0
    accepted: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        host, port = self.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        started = time.monotonic()
        while not self.stop.is_set():
            due = started + self.sent / self.rate
            if (wait := due - time.monotonic()) > 0:
                self.stop.wait(wait)
                continue
            body = json.dumps({"id": str(uuid.uuid4()), "platform": "web", "problem": "login"})
            headers = {
                "Content-Type": "application/json",
                "X-Forwarded-For": ".".join(str(random.randint(1, 223)) for _ in range(4)),
                "User-Agent": f"OutagesApp/1.0 (ordinary {random.randint(1, 10**9)})",
            }
            path = INTAKE_PATH.replace("{slug}", random.choice(self.slugs))
            self.sent += 1
            try:
                conn.request("POST", path, body, headers)
                response = conn.getresponse()
                response.read()
                self.accepted += 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=30)


@dataclass
class Pages:
    """wrk GET slices of the busy service's page until stopped."""

    url: str
    pid: int
    connections: int
    slice_seconds: float
    loads: list[tuple[float, float, Load]] = field(default_factory=list)  # (start, end, load)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.time()
            load = wrk(
                "service page",
                self.url,
                f"/s/{TARGET}/",
                slugs=BROWSER,
                seconds=self.slice_seconds,
                servers={"pages": self.pid},
                script=GET_SCRIPT,
                connections=self.connections,
            )
            self.loads.append((started, time.time(), load))


def flood(url: str, reports: int, connections: int, workdir: Path) -> dict[str, int]:
    """The target's reports, as fast as the intake takes them; wrk's summary."""
    threads = 2
    quota = -(-reports // threads)
    marker = workdir / "wrk-stopped"
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        "-d24h",
        "--timeout",
        "10s",
        "-s",
        str(RECORD_SCRIPT),
        url,
        "--",
        str(quota),
        str(marker),
        INTAKE_PATH,
        TARGET,
    ]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        while proc.poll() is None:
            if marker.exists() and marker.read_text().count("stopped") >= threads:
                proc.send_signal(signal.SIGINT)  # wrk prints its summary and exits
                break
            time.sleep(0.2)
        stdout, stderr = proc.communicate(timeout=60)
    for line in stdout.splitlines():
        if line.startswith("BENCH "):
            return dict(json.loads(line.removeprefix("BENCH ")))
    raise RuntimeError(f"no summary from wrk:\n{stdout}\n{stderr}")


def accepted_by_intake(url: str) -> dict[str, int]:
    """The intake's own counter (outages_intake_accepted, every process) by status."""
    with contextlib.closing(http.client.HTTPConnection(url.removeprefix("http://"))) as conn:
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
    found: dict[str, int] = {}
    for status, value in re.findall(
        r'^outages_intake_accepted_total\{[^}]*status="(\w+)"[^}]*\} (\S+)$', text, re.M
    ):
        found[status] = found.get(status, 0) + int(float(value))
    return found


_TASK_LINE = re.compile(
    r"^\[?(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}).*Task (outages\.detection(?:_early)?_pass)"
    r"\[[^\]]+\] succeeded in ([\d.]+)s"
)


def detection_passes(log: Path, start: float, end: float) -> dict[str, list[float]]:
    """Seconds of each detection pass (full, early) the worker finished between start and end."""
    found: dict[str, list[float]] = {
        "outages.detection_pass": [],
        "outages.detection_early_pass": [],
    }
    for line in log.read_text(errors="replace").splitlines():
        if match := _TASK_LINE.search(line):
            at = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()  # noqa: DTZ007 (the worker logs local time)
            if start <= at <= end + 60:
                found[match.group(2)].append(float(match.group(3)))
    return found


def wait_drained(redis: redis_lib.Redis, timeout: float) -> float:
    """Until every stream entry is stored and acknowledged; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pending = 0
        with contextlib.suppress(redis_lib.ResponseError):
            pending = int(redis.xpending(STREAM, "bucketing")["pending"])
        if redis.xlen(STREAM) == 0 and pending == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    raise TimeoutError(f"the stream was not drained within {timeout} s")


def stored_and_counted(service_id: int) -> tuple[int, int, int, int]:
    """(raw reports, counted raw reports, bucket sum) of the target, then the others' raw rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE service_id = %s),"
            " count(*) FILTER (WHERE service_id = %s AND counted),"
            " count(*) FILTER (WHERE service_id <> %s) FROM reports_report",
            [service_id] * 3,
        )
        target, target_counted, others = cursor.fetchone()
        cursor.execute(
            "SELECT coalesce(sum(count), 0) FROM outages_minutebucket WHERE service_id = %s",
            [service_id],
        )
        buckets = int(cursor.fetchone()[0])
    return int(target), int(target_counted), buckets, int(others)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reports", type=int, default=6_500_000)
    parser.add_argument("--others", type=int, default=1000)
    parser.add_argument("--ordinary-rate", type=float, default=20.0, help="reports/s, others")
    parser.add_argument("--report-connections", type=int, default=16)
    parser.add_argument("--page-connections", type=int, default=64)
    parser.add_argument("--slice", type=float, default=10.0, help="seconds per page wrk run")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--database", default="outages_bench_record")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        found = run(stack, args)
    print(report.table(rows(found, args)))
    return 0


def run(stack: contextlib.ExitStack, args: argparse.Namespace) -> Result:
    from bench.run import bench_env, step

    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="outages-record-")))
    logs = report.RESULTS / "logs-record-day"
    logs.mkdir(parents=True, exist_ok=True)
    for old in logs.glob("*.log"):
        old.unlink()
    dsn = stack.enter_context(servers.bench_database(args.database))
    redis_proc, redis_url = stack.enter_context(servers.durable_redis(workdir, logs))
    env = bench_env(dsn=dsn, redis_url=redis_url, workdir=workdir)
    os.environ.update(env)
    django.setup()
    from django.core.management import call_command

    from outages.models import Service

    step(f"record day: {args.reports:,} reports on {TARGET}, {args.others:,} other services")
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # gunicorn refuses without
    others = [f"other-{i:04d}" for i in range(args.others)]
    Service.objects.bulk_create(Service(slug=slug, name=slug) for slug in [TARGET, *others])
    target_id = Service.objects.get(slug=TARGET).id
    redis = redis_lib.Redis.from_url(redis_url)
    broker = redis_lib.Redis.from_url(servers.BROKER_URL)
    broker.flushdb()
    stack.callback(broker.flushdb)
    web_intake, intake_url = stack.enter_context(
        servers.gunicorn(env, logs, name="gunicorn-intake")
    )
    web_pages, pages_url = stack.enter_context(servers.gunicorn(env, logs, name="gunicorn-pages"))
    worker = stack.enter_context(
        servers.celery(env | {"LOG_LEVEL": "INFO"}, logs, concurrency=args.workers)
    )
    warm_up(intake_url, [INTAKE_PATH], slugs=others[:20])
    wrk("warmup", pages_url, f"/s/{TARGET}/", slugs=BROWSER, seconds=2, servers={},
        script=GET_SCRIPT, connections=8)  # fmt: skip
    wait_drained(redis, 120)
    accepted_before = sum(accepted_by_intake(intake_url).values())
    added_before = _entries_added(redis)
    rows_before = stored_and_counted(target_id)

    sampler = Sampler(redis)
    ordinary = Ordinary(intake_url, others, args.ordinary_rate)
    pages = Pages(pages_url, web_pages.pid, args.page_connections, args.slice)
    threads = [threading.Thread(target=t.run, daemon=True) for t in (sampler, ordinary, pages)]
    for thread in threads:
        thread.start()
    step("peak: the flood, ordinary traffic and page fetchers at once")
    foreign = servers.ForeignCpu()
    foreign.start()
    peak_start = time.time()
    summary = flood(intake_url, args.reports, args.report_connections, workdir)
    peak_end = time.time()
    other_cores = foreign.cores()
    pages.stop.set()
    ordinary.stop.set()
    step("waiting for the drain to store the last reports")
    drain_tail = wait_drained(redis, 3600)
    sampler.stop.set()
    for thread in threads:
        thread.join(timeout=120)
    worker.check_alive()
    accepted = accepted_by_intake(intake_url)
    target, target_counted, buckets, other_rows = stored_and_counted(target_id)
    peak_pages = [
        load for start, end, load in pages.loads if start >= peak_start and end <= peak_end
    ]
    return Result(
        wrk=summary,
        peak_seconds=peak_end - peak_start,
        other_cores=other_cores,
        accepted=sum(accepted.values()) - accepted_before,
        entries_added=_entries_added(redis) - added_before,
        ordinary_accepted=ordinary.accepted,
        target_rows=target - rows_before[0],
        target_counted=target_counted - rows_before[1],
        target_buckets=buckets - rows_before[2],
        other_rows=other_rows - rows_before[3],
        drain_tail_seconds=drain_tail,
        max_lag_seconds=sampler.max_lag_s,
        max_backlog=sampler.max_backlog,
        detection=detection_passes(worker.log, peak_start, peak_end),
        pages=peak_pages,
    )


def _entries_added(redis: redis_lib.Redis) -> int:
    with contextlib.suppress(redis_lib.ResponseError):
        return int(redis.xinfo_stream(STREAM)["entries-added"])
    return 0


def rows(r: Result, args: argparse.Namespace) -> list[report.Row]:
    from bench.report import Row, bar

    stored = r.target_rows + r.other_rows
    rate = r.target_rows / r.peak_seconds
    full = 6_500_000 / rate
    p99s = sorted(load.p99_ms for load in r.pages)
    page_rate = statistics.mean(load.ok_per_second for load in r.pages) if r.pages else 0.0
    full_passes = r.detection["outages.detection_pass"]
    early_passes = r.detection["outages.detection_early_pass"]

    def seconds(values: list[float]) -> str:
        if not values:
            return "none finished"
        return f"{len(values)}: median {statistics.median(values):.2f} s, max {max(values):.2f} s"

    return [
        Row(
            "RD Reports accepted = stored",
            f"{r.accepted:,} = {stored:,}",
            f"stream entries added {r.entries_added:,}; ordinary {r.ordinary_accepted:,}",
            "",
            bar(r.accepted == stored == r.entries_added),
        ),
        Row(
            f"RD {TARGET}: stored, counted = bucket sum",
            f"{r.target_rows:,}, {r.target_counted:,} = {r.target_buckets:,}",
            f"asked {args.reports:,}; wrk saw {r.wrk['requests']:,} answers",
            "",
            bar(r.target_counted == r.target_buckets),
        ),
        Row(
            "RD Peak: reports/s into the intake",
            f"{rate:,.0f}/s over {r.peak_seconds:,.0f} s",
            f"6.5 M at this rate: {full / 60:,.0f} min (the event: {EVENT_SECONDS / 60:.0f} min)",
            f"x{EVENT_SECONDS / full:.2f} speed",
        ),
        Row(
            "RD Drain: largest lag, largest backlog",
            f"{r.max_lag_seconds:.1f} s, {r.max_backlog:,} entries",
            f"drained {r.drain_tail_seconds:.1f} s after the flood ended",
        ),
        Row("RD Detection passes during the peak", seconds(full_passes)),
        Row("   early passes during the peak", seconds(early_passes)),
        Row(
            f"RD Service page during the peak, {args.page_connections} connections",
            f"p99 median {statistics.median(p99s):.0f} ms, max {max(p99s):.0f} ms"
            if p99s
            else "no slice",
            f"{len(p99s)} slices of {args.slice:.0f} s, {page_rate:,.0f} pages/s, "
            f"{sum(load.failed for load in r.pages)} failed",
        ),
        Row(
            "RD Others' CPU during the peak",
            f"{r.other_cores:.1f} cores",
            "of the machine's 2; figures skew with it",
        ),
    ]


if __name__ == "__main__":
    sys.exit(main())
