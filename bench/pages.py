"""Bar 5: the public pages' server time and transfer size.

- Service page of a busy service with 30 days of minute buckets (one report every few
  seconds, split by platform, problem and country), warm: p95 of the server time over
  repeated GETs through Django's test client (the full middleware stack, no network).
- Home page with 500 services (their ServiceStatus rows written by a detection pass).
- Transfer of a first visit to the service page: the HTML plus every script and stylesheet it
  links, each as whitenoise serves it (the smallest of .br, .gz or raw from collectstatic);
  a repeat visit fetches only the HTML (static names are hashed and cached for a year).

Runs inside the bench process, on the bench database, after the other sections.
"""

from __future__ import annotations

import cProfile
import gzip
import os
import pstats
import re
import statistics
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

HOME_SERVICES = 500
BUSY = "bench-busy"
GETS = 40


@dataclass(frozen=True)
class Result:
    service_p95_ms: float
    service_median_ms: float
    service_queries: int
    home_p95_ms: float
    home_median_ms: float
    home_queries: int
    busy_buckets: int
    first_visit_kb: float
    repeat_visit_kb: float
    html_kb: float
    html_gzip_kb: float
    assets: dict[str, float]  # static path -> KB as served


def measure(*, static_root: Path) -> Result:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from outages.models import Service
    from outages.services.baselines import baselines_fit
    from outages.services.detection import detection_pass

    call_command("collectstatic", interactive=False, verbosity=0)
    now = timezone.now()
    busy = _busy_service(now)
    others = HOME_SERVICES - Service.objects.count()
    Service.objects.bulk_create(
        Service(slug=f"home-{i:03d}", name=f"Home {i:03d}") for i in range(max(others, 0))
    )
    baselines_fit(now=now, service_ids=[busy.id])
    detection_pass(now=now)

    client = Client(HTTP_HOST="127.0.0.1")
    service_url = f"/s/{busy.slug}/"
    service_times, html = _timed(client, service_url)
    home_times, _ = _timed(client, "/")
    from outages.page_cache import pages_changed

    pages_changed()
    with CaptureQueriesContext(connection) as service_queries:
        client.get(service_url, secure=True)
    with CaptureQueriesContext(connection) as home_queries:
        client.get("/", secure=True)

    if os.environ.get("BENCH_PROFILE"):  # where a service page's server time goes
        _profile(client, service_url)
    assets = {path: _served_kb(static_root, path) for path in _linked_assets(html)}
    html_kb = len(html) / 1024
    html_gzip_kb = len(gzip.compress(html, 6)) / 1024
    return Result(
        service_p95_ms=_p95(service_times),
        service_median_ms=statistics.median(service_times),
        service_queries=len(service_queries),
        home_p95_ms=_p95(home_times),
        home_median_ms=statistics.median(home_times),
        home_queries=len(home_queries),
        busy_buckets=_busy_buckets(busy.id),
        first_visit_kb=html_gzip_kb + sum(assets.values()),
        repeat_visit_kb=html_gzip_kb,
        html_kb=html_kb,
        html_gzip_kb=html_gzip_kb,
        assets=assets,
    )


def _timed(client, url: str) -> tuple[list[float], bytes]:  # type: ignore[no-untyped-def]
    """Server time of GETs after two warm-up requests, in ms; and the last body. Each one
    renders: the page cache's entries are put out of date first (bench/page_load.py measures
    the cached pages)."""
    from outages.page_cache import pages_changed

    body = b""
    for _ in range(2):
        body = client.get(url, secure=True).content
    times = []
    for _ in range(GETS):
        pages_changed()
        started = time.perf_counter()
        response = client.get(url, secure=True)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content
    return times, body


def _p95(times: list[float]) -> float:
    return float(np.percentile(times, 95))


def _busy_service(now):  # type: ignore[no-untyped-def]
    """A service with 30 days of minute buckets, written with COPY."""
    from django.db import connection, transaction

    from common.bulk import copy_to_staging
    from outages.demo import service_profile
    from outages.detection import synthetic
    from outages.detection.timebuckets import floor_to_minute
    from outages.models import MinuteBucket, Service

    service = Service.objects.create(slug=BUSY, name="Busy", category="social")
    profile = service_profile(slug="twitter", category="social")
    end = floor_to_minute(now)
    start = end - timedelta(days=30)
    minutes = 30 * 1440
    rng = np.random.default_rng(5)
    rates = synthetic.audience_rates(
        start, minutes, peak_per_minute=20.0, audience=profile.audience
    )
    countries, platforms, problems = (
        profile.countries.names,
        profile.platforms.names,
        profile.problems.names,
    )
    per_cell = rng.poisson(rates)  # (countries, minutes)
    lines = []
    for c, m in zip(*np.nonzero(per_cell), strict=True):
        n = int(per_cell[c, m])
        platform = platforms[profile.platforms.sample(rng, 1)[0]]
        problem = problems[profile.problems.sample(rng, 1)[0]]
        minute = (start + timedelta(minutes=int(m))).isoformat()
        lines.append(f"{service.id}\t{minute}\tproblem\t{platform}\t{problem}\t{countries[c]}\t{n}")
    columns = ["service_id", "minute", "kind", "platform", "problem", "country", "count"]
    table = MinuteBucket._meta.db_table
    with transaction.atomic():
        staging = copy_to_staging(
            table=table, columns=columns, data=("\n".join(lines) + "\n").encode()
        )
        with connection.cursor() as cursor:
            keys = ", ".join(columns[:-1])
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)})"  # noqa: S608
                f" SELECT {keys}, sum(count) FROM {staging} GROUP BY {keys}"
                f" ON CONFLICT ({keys}) DO UPDATE SET count = {table}.count + EXCLUDED.count"
            )
    return service


def _busy_buckets(service_id: int) -> int:
    from outages.models import MinuteBucket

    return MinuteBucket.objects.filter(service_id=service_id).count()


def _linked_assets(html: bytes) -> list[str]:
    text = html.decode()
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', text)
    styles = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', text)
    styles += re.findall(r'<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"', text)
    return list(dict.fromkeys(scripts + styles))


def _served_kb(static_root: Path, url: str) -> float:
    """The smallest form whitenoise can serve of a static URL, in KB."""
    from django.conf import settings

    path = static_root / url.removeprefix(settings.STATIC_URL).lstrip("/")
    sizes = [p.stat().st_size for p in (path, Path(f"{path}.gz"), Path(f"{path}.br")) if p.exists()]
    return min(sizes) / 1024 if sizes else 0.0


def rows(r: Result):  # type: ignore[no-untyped-def]
    from bench.report import Row, bar

    assets = ", ".join(f"{Path(p).name.split('.')[0]} {kb:.0f}" for p, kb in r.assets.items())
    return [
        Row(
            "5 Service page, 30 d of a busy service, p95",
            f"{r.service_p95_ms:.0f} ms",
            "<= 150 ms warm",
            f"{r.service_p95_ms / 150:.2f}",
            bar(r.service_p95_ms <= 150),
        ),
        Row(
            "  service page median / queries",
            f"{r.service_median_ms:.0f} ms / {r.service_queries}",
            f"{r.busy_buckets:,} buckets in 30 d",
        ),
        Row(
            f"5 Home page, {HOME_SERVICES} services, p95",
            f"{r.home_p95_ms:.0f} ms",
            "<= 200 ms warm",
            f"{r.home_p95_ms / 200:.2f}",
            bar(r.home_p95_ms <= 200),
        ),
        Row("  home median / queries", f"{r.home_median_ms:.0f} ms / {r.home_queries}"),
        Row(
            "5 Service page, first visit transfer",
            f"{r.first_visit_kb:,.0f} KB",
            "<= 1,536 KB (HTML gzip + assets as served)",
            f"{r.first_visit_kb / 1536:.2f}",
            bar(r.first_visit_kb <= 1536),
        ),
        Row(
            "5 Service page, repeat visit transfer",
            f"{r.repeat_visit_kb:,.0f} KB",
            "<= 100 KB (HTML only; assets cached)",
            f"{r.repeat_visit_kb / 100:.2f}",
            bar(r.repeat_visit_kb <= 100),
        ),
        Row("  HTML raw / gzip; assets (KB)", f"{r.html_kb:.0f} / {r.html_gzip_kb:.0f}", assets),
    ]


def _profile(client, url: str) -> None:  # type: ignore[no-untyped-def]
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(10):
        client.get(url, secure=True)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
