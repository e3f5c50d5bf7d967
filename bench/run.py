"""`make bench`: every figure of the three bars, measured side by side in one run.

1. Intake through gunicorn vs a bare JSON view (bench/intake.py).
2. Bucketing by one report_drain process vs a raw COPY (bench/bucketing.py).
3. Freshness, 2xx to bucket, under the intake load with Celery draining (bench/freshness.py).
4. One detection pass over 10,000 services with 30 days of buckets (bench/detection.py; its
   own database `outages_bench_detection`, kept between runs; runs alone too).
5. The public pages (bench/pages.py; `BENCH_ONLY=pages`), then reports beside service page
   views on the same web workers (bench/mixed.py; `BENCH_ONLY=mixed`), then outage-day page
   load: cached pages vs a static file at 64 connections, the intake beside them, the
   stampede (bench/page_load.py; `BENCH_ONLY=page_load`).
6. The embeddable reads: sizes, and warm req/s vs a static file (bench/edge.py;
   `BENCH_ONLY=edge`).
7. The burst finder over a day of 1 million reports with 10 brigades (bench/bursts.py; its
   own database `outages_bench_bursts`; alone with BENCH_ONLY=bursts).
8. Alerts: one incident event to 10,000 webhook and 10,000 e-mail subscriptions by Celery
   workers (bench/alerts.py; its own database; `BENCH_ONLY=alerts` runs it alone,
   `BENCH_SKIP_ALERTS=1` leaves it out).
9. Detection on labelled outage-report traffic, the product's detector beside a reference,
   three seeds (bench/outage_traffic.py; no services; `BENCH_ONLY=outage_traffic` runs it
   alone, `BENCH_SKIP_OUTAGE_TRAFFIC=1` leaves it out).
10. The official status poller: 1,000 status pages on local fake servers, one Celery worker,
   304s counted, two workers never fetching one page twice (bench/official.py; its own
   database; `BENCH_ONLY=official` alone, `BENCH_SKIP_OFFICIAL=1` leaves it out).
11. The moderation home with 10,000 pending comments, p95 (bench/moderation.py; its own
   database; `BENCH_ONLY=moderation` runs it alone).

Everything runs against throwaway services started here (bench/servers.py): a PostgreSQL
database `outages_bench`, a Redis with appendfsync always, gunicorn, Celery. All are stopped
and dropped on exit, also on Ctrl-C.

Over 300 lines: the one entry point that runs every bench and prints one table.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402
import redis as redis_lib  # noqa: E402

from bench import (  # noqa: E402
    bursts,
    detection,
    edge,
    mixed,
    moderation,
    outage_traffic,
    page_load,
    pages,
    report,
    servers,
)
from bench.report import step  # noqa: E402

DATABASE = os.environ.get("BENCH_DATABASE", "outages_bench")  # another name: runs side by side
STREAM = "outages:reports"
WRK_SECONDS = float(os.environ.get("BENCH_SECONDS", "12"))
SERVICES = [f"bench-{i:02d}" for i in range(20)]
PROBE_SERVICE = "bench-probe"


def bench_env(*, dsn: str, redis_url: str, workdir: Path) -> dict[str, str]:
    """docker-compose.yml's settings (DEPLOYMENT=production), limits raised: wrk is one
    machine."""
    for folder in ("static", "var", "metrics"):  # beat keeps its schedule file in var/
        (workdir / folder).mkdir()
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEPLOYMENT": "production",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": dsn,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": servers.BROKER_URL,
        "VAR_DIR": str(workdir / "var"),
        "STATIC_ROOT": str(workdir / "static"),
        "INTAKE_BUFFER": "redis",
        "INTAKE_STREAM": STREAM,
        "INTAKE_RATE_FINGERPRINT": "1000000000",
        "INTAKE_RATE_NETWORK": "1000000000",
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_LEVEL": "WARNING",
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
    }


def prepare_database() -> list[int]:
    """Migrate the bench database and add its services; returns the load services' ids."""
    from django.core.management import call_command

    from outages.models import Service

    call_command("migrate", verbosity=0)
    Service.objects.bulk_create(
        Service(slug=slug, name=slug) for slug in [*SERVICES, PROBE_SERVICE]
    )
    return list(Service.objects.filter(slug__in=SERVICES).values_list("id", flat=True))


def buckets_match_reports() -> bool:
    """Invariant 1, over the whole bench database: buckets sum to the counted raw reports."""
    from django.db.models import Sum

    from outages.models import MinuteBucket
    from reports.models import Report

    counted = Report.objects.filter(counted=True).count()
    return counted == (MinuteBucket.objects.aggregate(total=Sum("count"))["total"] or 0)


def run(stack: contextlib.ExitStack) -> dict[str, object]:
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="outages-bench-")))
    logs = report.RESULTS / "logs"  # kept after the run, for a failed server's story
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    dsn = stack.enter_context(servers.bench_database(DATABASE))
    redis_proc, redis_url = stack.enter_context(
        servers.durable_redis(workdir, logs, unix=servers.REDIS_TRANSPORT == "unix")
    )
    aof_folder = workdir / "redis"
    fsync_p50, fsync_p99 = servers.fsync_latency_us(aof_folder)
    env = bench_env(dsn=dsn, redis_url=redis_url, workdir=workdir)
    os.environ.update(env)
    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from bench import bucketing, freshness, intake

    service_ids = prepare_database()
    redis = redis_lib.Redis.from_url(redis_url)
    broker = redis_lib.Redis.from_url(servers.BROKER_URL)
    broker.flushdb()  # stale tasks of an aborted run
    stack.callback(broker.flushdb)  # beat's tasks that no worker took
    results: dict[str, object] = {
        "seconds_per_wrk_run": WRK_SECONDS,
        "others_cores_at_start": warn_if_busy(),
        "web": servers.web_description(),
        "redis": {
            "transport": "unix socket" if servers.REDIS_TRANSPORT == "unix" else "TCP loopback",
            "aof_filesystem": servers.filesystem_of(aof_folder),
            "fsync_p50_us": fsync_p50,
            "fsync_p99_us": fsync_p99,
        },
    }

    if os.environ.get("BENCH_ONLY") in ("pages", "mixed", "page_load"):  # bar 5 (+ 18) alone
        step("pages: service page of a busy service, home with 500 services, transfer sizes")
        results["pages"] = pages.measure(static_root=workdir / "static")
        if os.environ.get("BENCH_ONLY") == "mixed":
            results["mixed"] = measure_mixed(env, logs)
        if os.environ.get("BENCH_ONLY") == "page_load":
            results["page_load"] = measure_page_load(env, logs)
        return results
    if os.environ.get("BENCH_ONLY") == "edge":  # bar 6 alone
        results["edge"] = measure_edge(env, logs)
        return results
    step("intake: bare view and report POST in alternating rounds, then extras")
    with servers.gunicorn(env, logs) as (web, url):
        server = intake.Server(url, web.pid, redis_proc.pid)
        results["intake"] = intake.pair(
            server, slugs=SERVICES, seconds=WRK_SECONDS, redis=redis, stream=STREAM
        )
        if os.environ.get("BENCH_ONLY") == "intake":  # bar 1 alone, for quick iterations
            return results
        results["intake_extras"] = intake.extras(
            server, slugs=SERVICES, seconds=WRK_SECONDS / 2, redis=redis
        )
        step("freshness: probes under the intake load, Celery worker + beat draining")
        redis.delete(STREAM)  # the intake runs' entries: freshness starts from an empty stream
        with servers.celery(env, logs):
            freshness.wait_until_draining(server, slug=PROBE_SERVICE, dsn=dsn)
            results["freshness"] = freshness.measure(
                server,
                slugs=SERVICES,
                probe_slug=PROBE_SERVICE,
                dsn=dsn,
                redis=redis,
                stream=STREAM,
                seconds=WRK_SECONDS,
            )
    step("intake with no middleware at all; on gunicorn's gthread worker (2x16)")
    no_middleware = env | {"BENCH_MIDDLEWARE": "none"}
    with servers.gunicorn(no_middleware, logs, name="gunicorn-no-middleware") as (web, url):
        server = intake.Server(url, web.pid, redis_proc.pid)
        results["no_middleware"] = intake.pair(
            server,
            slugs=SERVICES,
            seconds=WRK_SECONDS / 2,
            redis=redis,
            stream=STREAM,
            rounds=2,
        )
    with servers.gunicorn(env, logs, name="gunicorn-gthread", worker_class="gthread") as (
        web,
        url,
    ):
        server = intake.Server(url, web.pid, redis_proc.pid)
        results["gthread"] = intake.pair(
            server,
            slugs=SERVICES,
            seconds=WRK_SECONDS / 2,
            redis=redis,
            stream=STREAM,
            rounds=2,
        )
    step("bucketing: report_drain vs COPY")
    results["bucketing"] = bucketing.measure(
        redis=redis,
        dsn=dsn,
        service_ids=service_ids,
        now=timezone.now(),
        batch_size=settings.DRAIN_BATCH_SIZE,
    )
    results["buckets_match_reports"] = buckets_match_reports()
    step("pages: service page of a busy service, home with 500 services, transfer sizes")
    results["pages"] = pages.measure(static_root=workdir / "static")
    results["mixed"] = measure_mixed(env, logs)
    results["page_load"] = measure_page_load(env, logs)
    results["edge"] = measure_edge(env, logs)
    if os.environ.get("BENCH_SKIP_DETECTION"):  # sections 1-3 only, a few minutes
        return results
    step("detection: passes over 10,000 services, in their own database")
    results["detection"] = detection.measure()
    step("bursts: the finder over 1 million reports with 10 brigades, in its own database")
    results["bursts"] = bursts.measure()
    step("moderation: the home with 10,000 pending comments, in its own database")
    results["moderation"] = moderation.measure()
    return results


def measure_mixed(env: dict[str, str], logs: Path) -> list[mixed.Mix]:
    step("mixed: reports beside service page views on the same workers, gevent and gthread")
    found = []
    for worker_class, workers in (("gevent", "gevent x2"), ("gthread", "gthread 2x16")):
        with servers.gunicorn(
            env, logs, name=f"gunicorn-mixed-{worker_class}", worker_class=worker_class
        ) as (_web, url):
            page = f"/s/{pages.BUSY}/"
            found.append(
                mixed.measure(url, workers=workers, slugs=SERVICES, page=page, seconds=WRK_SECONDS)
            )
    return found


def measure_page_load(env: dict[str, str], logs: Path) -> page_load.Result:
    step("page load: static, service, home, incident at 64 connections; intake beside; stampede")
    incident_path = page_load.prepare()
    with (
        servers.gunicorn(env, logs, name="gunicorn-page-load") as (web, url),
        servers.gunicorn(env, logs, name="gunicorn-intake-apart") as (intake, intake_url),
    ):
        return page_load.measure(
            url,
            web_pid=web.pid,
            intake_pid=intake.pid,
            intake_url=intake_url,
            incident_path=incident_path,
            slugs=SERVICES,
            seconds=WRK_SECONDS,
        )


def measure_edge(env: dict[str, str], logs: Path) -> edge.Result:
    step("edge: widget, embed and badge sizes; status, badge, embed vs a static file")
    edge.prepare()
    with servers.gunicorn(env, logs, name="gunicorn-edge") as (web, url):
        return edge.measure(url, web_pid=web.pid, seconds=WRK_SECONDS)


def warn_if_busy() -> float:
    """Others' CPU over one second before we start: the figures assume a quiet machine."""
    foreign = servers.ForeignCpu()
    foreign.start()
    time.sleep(1)
    cores = foreign.cores()
    if cores > 0.2:
        step(f"WARNING: other processes are using {cores:.1f} of the 2 cores; figures will skew")
    return cores


def main() -> int:
    # SIGTERM/SIGHUP unwind like Ctrl-C does, so every process is stopped and the DB dropped.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, _frame: sys.exit(128 + signum))
    started = time.monotonic()
    if os.environ.get("BENCH_ONLY") == "bursts":  # alone: needs PostgreSQL only
        step("bursts: the finder over 1 million reports with 10 brigades, in its own database")
        print(report.table(bursts.rows(bursts.measure())))
        return 0
    if os.environ.get("BENCH_ONLY") == "alerts":  # alone: its own database and workers
        return alerts_bar()
    if os.environ.get("BENCH_ONLY") == "official":  # alone: its own database and workers
        return official_bar()
    if os.environ.get("BENCH_ONLY") == "outage_traffic":  # alone: pure computation
        print(report.table(outage_traffic.rows(outage_traffic.measure())))
        return 0
    if os.environ.get("BENCH_ONLY") == "moderation":  # alone: needs PostgreSQL only
        step("moderation: the home with 10,000 pending comments, in its own database")
        print(report.table(moderation.rows(moderation.measure())))
        return 0
    with contextlib.ExitStack() as stack:
        results = run(stack)
    results["wall_seconds"] = round(time.monotonic() - started, 1)
    if os.environ.get("BENCH_ONLY") in ("pages", "mixed", "page_load"):
        found = pages.rows(results["pages"]) + mixed.rows(results.get("mixed", []))
        if "page_load" in results:
            found += page_load.rows(results["page_load"])
        print(report.table(found))
        return 0
    if os.environ.get("BENCH_ONLY") == "intake":
        print(report.table(report.intake_rows(results)))
        return 0
    if os.environ.get("BENCH_ONLY") == "edge":
        print(report.table(edge.rows(results["edge"])))
        return 0
    rows = report.rows(results) + pages.rows(results["pages"]) + mixed.rows(results["mixed"])
    rows += page_load.rows(results["page_load"]) + edge.rows(results["edge"])
    if "detection" in results:
        rows += detection.rows(results["detection"])
    if "bursts" in results:
        rows += bursts.rows(results["bursts"])
    if "moderation" in results:
        rows += moderation.rows(results["moderation"])
    if not os.environ.get("BENCH_SKIP_OUTAGE_TRAFFIC"):
        step("outage traffic: the detector and a reference on labelled traffic, 3 seeds")
        rows += outage_traffic.rows(outage_traffic.measure())
    print(report.table(rows))
    path = report.save(results, rows)
    print(f"\n{sum(r.verdict == 'FAIL' for r in rows)} bar(s) failed; results in {path}")
    if not os.environ.get("BENCH_SKIP_ALERTS"):
        alerts_bar()
    if not os.environ.get("BENCH_SKIP_OFFICIAL"):
        official_bar()
    return 0


def alerts_bar() -> int:
    """The alerts bars in a process of their own (own settings and database), table printed."""
    step("alerts: one event to 10,000 webhook and 10,000 e-mail subscriptions")
    return subprocess.run([sys.executable, str(Path(__file__).with_name("alerts.py"))]).returncode


def official_bar() -> int:
    """The official status poller's bars in a process of their own (own database, workers)."""
    step("official: 1,000 status pages polled by one worker, then by two")
    return subprocess.run([sys.executable, str(Path(__file__).with_name("official.py"))]).returncode


if __name__ == "__main__":
    sys.exit(main())
