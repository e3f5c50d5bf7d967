"""Official status poller: 1,000 status pages on local fake servers polled by one Celery worker
process in <= 60 s, then again (all answered 304, counted), then by two worker processes at
once, which must never fetch one source twice in an interval.

    .venv/bin/python bench/official.py       # this bar alone (BENCH_ONLY=official make bench)

1. Its own database `outages_bench_official` (created, migrated, dropped on exit) and a Redis
   database as the Celery broker (BENCH_OFFICIAL_BROKER, default db 12).
2. Two fake status-page server processes (tests/official/fake_status.py: ETag and
   Last-Modified, 304 on a match), 500 Statuspage summaries each, one URL per source; a tenth
   of them show an incident.
3. Real Celery workers: the clock starts when `official.dispatch` is queued (as beat would)
   and stops when every source has been polled in the round.
4. The servers count the fetches of each URL: in the two-worker round, each is fetched once.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import report, servers  # noqa: E402
from bench.report import step  # noqa: E402

DATABASE = "outages_bench_official"
BROKER = os.environ.get("BENCH_OFFICIAL_BROKER", "redis://127.0.0.1:6379/12")
SOURCES = int(os.environ.get("BENCH_OFFICIAL_SOURCES", "1000"))
FAKE_SERVERS = 2
BAR_SECONDS = 60.0
PAYLOADS = ROOT / "tests" / "official" / "payloads"


@dataclass
class Round:
    name: str
    workers: int
    seconds: float
    polled: int
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    fetched_twice: int = 0


@dataclass
class Result:
    sources: int
    rounds: list[Round] = field(default_factory=list)


def _fake_servers(stack: contextlib.ExitStack, workdir: Path, logs: Path) -> list[int]:
    ok = (PAYLOADS / "statuspage_ok.json").read_text()
    incident = (PAYLOADS / "statuspage_incident.json").read_text()
    incident = incident.replace("__ANNOUNCED__", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    ports = []
    for n in range(FAKE_SERVERS):
        folder = workdir / f"pages{n}"
        folder.mkdir()
        for i in range(n, SOURCES, FAKE_SERVERS):
            (folder / f"p{i}.json").write_text(incident if i % 10 == 0 else ok)
        port = servers.free_port()
        argv = [sys.executable, "-m", "tests.official.fake_status", str(port), str(folder)]
        proc = stack.enter_context(
            servers.process(f"fake-status-{n}", argv, env=dict(os.environ), logs=logs)
        )
        servers.wait_for_port(proc, port)
        ports.append(port)
    return ports


def _hits(ports: list[int]) -> dict[str, int]:
    total: dict[str, int] = {}
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__hits", timeout=10) as answer:
            for path, (fetched, not_modified) in json.load(answer).items():
                total[f"{port}{path}"] = fetched + not_modified
    return total


def _prepare(ports: list[int]) -> None:
    from django.core.management import call_command

    from outages.models import Service
    from outages.official.models import OfficialSource

    call_command("migrate", verbosity=0)
    services = Service.objects.bulk_create(
        [Service(slug=f"official-{i}", name=f"Official {i}") for i in range(SOURCES)]
    )
    OfficialSource.objects.bulk_create(
        [
            OfficialSource(
                service=service,
                kind="statuspage",
                interval_seconds=120,
                url=f"http://127.0.0.1:{ports[i % FAKE_SERVERS]}/p{i}.json",
            )
            for i, service in enumerate(services)
        ],
        batch_size=1000,
    )


def _due_now() -> None:
    from django.utils import timezone

    from outages.official.models import OfficialSource

    OfficialSource.objects.update(next_poll_at=timezone.now(), polled_at=None)


def _round(name: str, env: dict[str, str], logs: Path, workers: int, ports: list[int]) -> Round:
    import redis
    from django.db.models import Sum

    from config.celery import app
    from outages.official.models import OfficialSource

    redis.Redis.from_url(BROKER).flushdb()
    _due_now()
    before = _hits(ports)
    counts = OfficialSource.objects.aggregate(f=Sum("fetches"), n=Sum("not_modified"))
    with servers.celery_worker(f"official-worker-{name}", env, logs, concurrency=workers):
        started = time.monotonic()
        app.send_task("official.dispatch")
        if workers > 1:  # and a duplicate, as a redelivery or a second beat would
            app.send_task("official.poll")
        polled = 0
        while time.monotonic() - started < 5 * BAR_SECONDS:
            polled = OfficialSource.objects.filter(polled_at__isnull=False).count()
            if polled >= SOURCES:
                break
            time.sleep(0.1)
        seconds = time.monotonic() - started
    after = _hits(ports)
    now = OfficialSource.objects.aggregate(f=Sum("fetches"), n=Sum("not_modified"))
    return Round(
        name,
        workers,
        seconds,
        polled,
        fetched=(now["f"] or 0) - (counts["f"] or 0),
        not_modified=(now["n"] or 0) - (counts["n"] or 0),
        failed=OfficialSource.objects.filter(consecutive_failures__gt=0).count(),
        fetched_twice=sum(1 for key, n in after.items() if n - before.get(key, 0) > 1),
    )


def measure(logs: Path | None = None) -> Result:
    import django

    result = Result(SOURCES)
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-official-")))
        logs = logs or workdir
        dsn = stack.enter_context(servers.bench_database(DATABASE))
        for folder in ("var", "metrics"):
            (workdir / folder).mkdir(exist_ok=True)
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": dsn,
            "REDIS_URL": BROKER,
            "CELERY_BROKER_URL": BROKER,
            "VAR_DIR": str(workdir / "var"),
            "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
            "SIMULATE_LIVE_TRAFFIC": "false",
            "ALERTS_ALLOW_LOOPBACK": "true",
            "ALERTS_HTTPS_ONLY": "false",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        django.setup()
        ports = _fake_servers(stack, workdir, logs)
        _prepare(ports)
        step(f"official: {SOURCES} sources, first poll (200s), one worker process")
        result.rounds.append(_round("cold", env, logs, 1, ports))
        step("official: second poll (304s), one worker process")
        result.rounds.append(_round("304", env, logs, 1, ports))
        step("official: third poll, two worker processes and a duplicate task")
        result.rounds.append(_round("two", env, logs, 2, ports))
        from django.db import connections

        connections.close_all()
    return result


def rows(r: Result) -> list[report.Row]:
    Row = report.Row
    out = []
    for run in r.rounds:
        label = {
            "cold": f"10 Poll {r.sources:,} official status pages (fake servers), 1 worker",
            "304": "  again, unchanged (conditional GETs), 1 worker",
            "two": "  again, 2 worker processes + a duplicate task",
        }[run.name]
        ok = run.polled >= r.sources and run.seconds <= BAR_SECONDS and run.failed == 0
        out.append(
            Row(
                label,
                f"{run.seconds:.1f} s ({run.polled:,} polled: {run.fetched:,} read, "
                f"{run.not_modified:,} 304, {run.failed} failed)",
                f"<= {BAR_SECONDS:.0f} s",
                f"{run.seconds / BAR_SECONDS:.2f}",
                report.bar(ok),
            )
        )
        if run.name == "two":
            out.append(
                Row(
                    "  sources fetched twice in one interval",
                    f"{run.fetched_twice}",
                    "0",
                    "",
                    report.bar(run.fetched_twice == 0),
                )
            )
    return out


def main() -> int:
    result = measure()
    print(report.table(rows(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
