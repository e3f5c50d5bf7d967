"""Outage-day page load: the pages everyone rushes to, against a static file, at 64 connections.

- Alternating rounds (static, service page, home, incident page, ..., static) on the
  production-shaped gunicorn, wrk with 64 connections and plain GETs as a browser sends them
  (anonymous, accepting gzip and brotli; the page cache answers them): rate, share of the
  static file's rate, p99.
- The intake's p99 alone (wrk, 16 connections, reports at a steady INTAKE_RATE a second),
  then beside 64 connections fetching the service page, three times in turn (medians): on the
  same web processes, and routed to web processes of their own (the same image and command;
  the deployment docs/scaling.md recommends: a pool on cores of its own, here the intake's
  processes and load generator on one core, the pages' on the other, as two hosts would be).
  A gevent worker runs a greenlet until it waits, so on shared processes a report queues
  behind every page answer of its worker; in processes of its own but on shared cores, behind
  the page processes the kernel runs first. The reports come at a steady rate, as
  people send them, not as fast as the intake answers: a load that saturates the intake
  measures how two cores are shared out between it and the pages, not how long a report
  waits behind them.
- The stampede: 500 requests at once for a page whose version just changed (served stale while
  one renders) and for a page never rendered (waiting for the one render); renders counted by
  the product's own counter (outages_page_renders, /metrics).

Runs after bench/pages.py (its busy service, 500 home services and detection pass);
`BENCH_ONLY=page_load python bench/run.py` runs both.

Over 300 lines: the four measurements share their servers, loads and one table of rows.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

from bench.intake import INTAKE_PATH, warm_up
from bench.loadgen import GET_SCRIPT, Load, beside, merged, wrk
from bench.pages import BUSY
from bench.servers import descendants

CONNECTIONS = 64
ROUNDS = 3
WARMUP = 2.0
STAMPEDE = 500
BAR_SHARE = 0.3
BAR_SERVICE_P99_MS = 150.0
BAR_INTAKE_RATIO = 2.0
BESIDE_ROUNDS = 3
# Reports a second into the intake beside the pages: what bench/record_day.py drove through
# it beside 64 page fetchers on a 2-core machine (394/s), a fifth of what it takes alone.
INTAKE_RATE = 400.0
BAR_RENDERS = 2
# As a browser or a CDN asks: the static file comes precompressed from WhiteNoise, a page
# gzipped from the page cache.
BROWSER = ["Accept-Encoding: gzip, br"]


@dataclass(frozen=True)
class Beside:
    intake_alone: Load
    intake_beside: Load
    pages_beside: Load


@dataclass(frozen=True)
class Result:
    static: Load
    service: Load
    home: Load
    incident: Load
    static_rounds: list[float]
    shared: Beside  # reports and pages on the same web processes
    routed: Beside  # reports routed to web processes of their own
    stale_renders: int
    stale_failed: int
    cold_renders: int
    cold_failed: int


def prepare() -> str:
    """An open incident on the busy service; returns its page's path."""
    from datetime import timedelta

    from django.utils import timezone

    from outages.models import Incident, Service

    service = Service.objects.get(slug=BUSY)
    now = timezone.now().replace(second=0, microsecond=0)
    incident = Incident.objects.create(
        service=service,
        level=2,
        started_at=now - timedelta(minutes=40),
        detected_at=now - timedelta(minutes=38),
        peak_at=now - timedelta(minutes=10),
        peak_count=900,
        total=12_000,
        expected_total=300.0,
        platforms={"web": 0.7, "ios": 0.3},
        problems={"login": 1.0},
        countries=[{"country": "US", "count": 9000, "expected": 200.0, "ratio": 45.0}],
        scope="international",
        visibility="public",
    )
    return f"/incidents/{incident.pk}/"


def measure(
    base_url: str,
    *,
    web_pid: int,
    intake_pid: int,
    intake_url: str,
    incident_path: str,
    slugs: list[str],
    seconds: float,
) -> Result:
    """`intake_url`: the same image and command started apart, as a balancer routing
    `POST /api/v1/services/*/reports` to processes of their own would reach it."""
    from django.templatetags.static import static

    paths = {
        "static": static("outages/site.css"),
        "service": f"/s/{BUSY}/",
        "home": "/",
        "incident": incident_path,
    }
    for path in paths.values():
        assert _get(base_url + path) == 200, path
    servers = {"web": web_pid}

    def load(name: str, path: str) -> Load:
        return wrk(
            name,
            base_url,
            path,
            slugs=BROWSER,
            seconds=seconds,
            servers=servers,
            warmup=WARMUP,
            script=GET_SCRIPT,
            connections=CONNECTIONS,
        )

    runs: dict[str, list[Load]] = {name: [] for name in paths}
    for _ in range(ROUNDS):
        for name, path in paths.items():
            runs[name].append(load(name, path))
    runs["static"].append(load("static", paths["static"]))

    shared = _intake_beside_pages(base_url, base_url, paths["service"], slugs, seconds)
    with cores_apart(web_pid, intake_pid) as (page_cpus, intake_cpus):
        routed = _intake_beside_pages(
            base_url,
            intake_url,
            paths["service"],
            slugs,
            seconds,
            page_cpus=page_cpus,
            intake_cpus=intake_cpus,
        )

    from outages.page_cache import pages_changed

    pages_changed()  # every stored page out of date: the next requests find it stale
    stale_renders, stale_failed = _stampede(base_url, paths["service"])
    cold_renders, cold_failed = _stampede(base_url, f"/s/{BUSY}/?range=7d")  # never rendered
    return Result(
        static=merged("static", runs["static"]),
        service=merged("service", runs["service"]),
        home=merged("home", runs["home"]),
        incident=merged("incident", runs["incident"]),
        static_rounds=[r.ok_per_second for r in runs["static"]],
        shared=shared,
        routed=routed,
        stale_renders=stale_renders,
        stale_failed=stale_failed,
        cold_renders=cold_renders,
        cold_failed=cold_failed,
    )


@contextlib.contextmanager
def cores_apart(web_pid: int, intake_pid: int) -> Iterator[tuple[set[int], set[int]]]:
    """The page pool's processes on the machine's cores but the first, the intake pool's on
    the first (gunicorn's later workers inherit it from their master); as they were after."""
    cpus = os.sched_getaffinity(0)
    first = {min(cpus)}
    pages = (cpus - first) or cpus
    pools = {pid: pages for pid in descendants(web_pid)}
    pools |= {pid: first for pid in descendants(intake_pid)}
    for pid, pinned in pools.items():
        os.sched_setaffinity(pid, pinned)
    try:
        yield pages, first
    finally:
        for pid in pools:
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(pid, cpus)


def _intake_beside_pages(
    pages_url: str,
    intake_url: str,
    page: str,
    slugs: list[str],
    seconds: float,
    *,
    page_cpus: set[int] | None = None,
    intake_cpus: set[int] | None = None,
) -> Beside:
    """The intake alone, then beside the page fetchers, BESIDE_ROUNDS times in turn: the median
    p99 of each (one run's p99 alone moved between 17 and 97 ms on a 2-core machine). The
    load generators run on `page_cpus` and `intake_cpus` if given."""
    warm_up(intake_url, [INTAKE_PATH], slugs=slugs)
    reports = partial(
        wrk,
        base_url=intake_url,
        path=INTAKE_PATH,
        slugs=slugs,
        seconds=seconds,
        servers={},
        rate=INTAKE_RATE,
        cpus=intake_cpus,
    )
    fetchers = partial(
        wrk,
        "service pages, 64 connections",
        pages_url,
        page,
        slugs=BROWSER,
        seconds=seconds,
        servers={},
        script=GET_SCRIPT,
        connections=CONNECTIONS,
        cpus=page_cpus,
    )
    alone: list[Load] = []
    with_pages: list[Load] = []
    pages: list[Load] = []
    for _ in range(BESIDE_ROUNDS):
        alone.append(reports("intake alone"))
        intake, fetched = beside(partial(reports, "intake beside pages"), fetchers)
        with_pages.append(intake)
        pages.append(fetched)
    return Beside(
        intake_alone=merged("intake alone", alone),
        intake_beside=merged("intake beside pages", with_pages),
        pages_beside=merged("service pages beside", pages),
    )


def _stampede(base_url: str, path: str) -> tuple[int, int]:
    """STAMPEDE requests released at once; returns (renders, failed requests)."""
    before = _renders(base_url)
    start = threading.Barrier(STAMPEDE)

    def one(_: int) -> int:
        start.wait()
        try:
            return _get(base_url + path, timeout=60)
        except OSError:
            return 0

    with ThreadPoolExecutor(max_workers=STAMPEDE) as pool:
        statuses = list(pool.map(one, range(STAMPEDE)))
    return _renders(base_url) - before, sum(status != 200 for status in statuses)


def _renders(base_url: str) -> int:
    with urllib.request.urlopen(base_url + "/metrics", timeout=10) as response:  # noqa: S310
        text = response.read().decode()
    found = re.search(r"^outages_page_renders_total (\S+)$", text, re.M)
    return int(float(found.group(1))) if found else 0


def _get(url: str, timeout: float = 10) -> int:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback)
        response.read()
        return int(response.status)


def rows(r: Result):  # type: ignore[no-untyped-def]
    from bench.report import Row, bar

    static = r.static.ok_per_second
    each = " / ".join(f"{rps:,.0f}" for rps in r.static_rounds)

    def page_row(label: str, load: Load, p99_bar: float | None = None) -> Row:
        share = load.ok_per_second / static
        ok = share >= BAR_SHARE and (p99_bar is None or load.p99_ms <= p99_bar)
        wanted = f">= {BAR_SHARE} x static" + (f", p99 <= {p99_bar:.0f} ms" if p99_bar else "")
        return Row(
            label,
            f"{load.ok_per_second:,.0f}/s, p99 {load.p99_ms:.0f} ms",
            wanted,
            f"{share:.2f}",
            bar(ok),
        )

    def beside_rows(label: str, b: Beside, with_bar: bool) -> list[Row]:
        ratio = b.intake_beside.p99_ms / b.intake_alone.p99_ms
        return [
            Row(
                f"{'18' if with_bar else '  '} Intake p99 alone / beside 64 page fetchers, {label}",
                f"{b.intake_alone.p99_ms:.0f} / {b.intake_beside.p99_ms:.0f} ms",
                f"<= {BAR_INTAKE_RATIO:.0f}x; reports/s {b.intake_alone.ok_per_second:,.0f} / "
                f"{b.intake_beside.ok_per_second:,.0f}",
                f"{ratio:.1f}x",
                bar(ratio <= BAR_INTAKE_RATIO) if with_bar else "",
            ),
            Row(
                f"     service pages beside the intake, {label}",
                f"{b.pages_beside.ok_per_second:,.0f}/s, p99 {b.pages_beside.p99_ms:.0f} ms",
                f"{b.pages_beside.failed} failed",
            ),
        ]

    loads = (r.static, r.service, r.home, r.incident)
    return [
        Row(
            f"18 Static file, {CONNECTIONS} connections",
            f"{static:,.0f}/s, p99 {r.static.p99_ms:.0f} ms",
            f"each round: {each}",
        ),
        page_row("18 Busiest service page, anonymous", r.service, BAR_SERVICE_P99_MS),
        page_row("18 Home page, anonymous", r.home),
        page_row("18 Incident page, anonymous", r.incident),
        Row(
            "  web CPU/request: static / service / home / incident",
            " / ".join(f"{x.cpu_us_per_request['web']:.0f}" for x in loads) + " us",
            "failed: " + ", ".join(str(x.failed) for x in loads),
        ),
        *beside_rows("own pool and core", r.routed, with_bar=True),
        *beside_rows("same processes", r.shared, with_bar=False),
        Row(
            f"18 Stampede: {STAMPEDE} at once, page out of date",
            f"{r.stale_renders} render(s)",
            f"<= {BAR_RENDERS}; {r.stale_failed} failed",
            "",
            bar(r.stale_renders <= BAR_RENDERS and not r.stale_failed),
        ),
        Row(
            f"18 Stampede: {STAMPEDE} at once, page never rendered",
            f"{r.cold_renders} render(s)",
            f"<= {BAR_RENDERS}; {r.cold_failed} failed",
            "",
            bar(r.cold_renders <= BAR_RENDERS and not r.cold_failed),
        ),
    ]
