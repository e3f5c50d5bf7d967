"""Bar 3: seconds from a report's 2xx answer to the report being in its minute bucket, under
the intake load of bar 1, with a real Celery worker and beat draining the stream.

A probe posts a report with a known id for a dedicated service every 100 ms and notes when
the 202 arrives; a poller looks the ids up in the reports table every 10 ms. The raw row and
its bucket increment commit in one transaction (report_store_batch), so the row being there
means the bucket counts it.
"""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import psycopg
from redis import Redis

from bench.intake import INTAKE_PATH, Server
from bench.loadgen import Load, wrk
from reports.models import Report

PROBE_EVERY = 0.1
POLL_EVERY = 0.01
LAND_TIMEOUT = 15.0


@dataclass
class Result:
    load: Load
    lags: list[float]
    lost: int  # probes answered 2xx but not stored within LAND_TIMEOUT
    probe_errors: int  # probes answered other than 202
    max_backlog: int  # most entries waiting in the stream at one time

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile; a lost probe counts as infinitely late."""
        ranked = sorted(self.lags) + [float("inf")] * self.lost
        return ranked[max(0, min(len(ranked) - 1, round(q / 100 * len(ranked)) - 1))]


@dataclass
class _Probe:
    base_url: str
    slug: str
    dsn: str
    pending: dict[uuid.UUID, float] = field(default_factory=dict)
    lags: list[float] = field(default_factory=list)
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    posting: threading.Event = field(default_factory=threading.Event)

    def post_one(self) -> uuid.UUID | None:
        report_id = uuid.uuid4()
        url = urlsplit(self.base_url)
        conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
        body = json.dumps({"id": str(report_id), "platform": "web", "problem": "login"})
        address = ".".join(str(random.randint(1, 223)) for _ in range(4))  # noqa: S311
        headers = {
            "Content-Type": "application/json",
            "X-Forwarded-For": address,
            "User-Agent": f"bench-probe {report_id}",
        }
        try:
            conn.request("POST", INTAKE_PATH.format(slug=self.slug), body, headers)
            response = conn.getresponse()
            response.read()
        finally:
            conn.close()
        if response.status != 202:
            self.errors += 1
            return None
        with self.lock:
            self.pending[report_id] = time.monotonic()
        return report_id

    def post_loop(self) -> None:
        while self.posting.is_set():
            started = time.monotonic()
            self.post_one()
            time.sleep(max(0.0, PROBE_EVERY - (time.monotonic() - started)))

    def poll_loop(self, stop: threading.Event) -> None:
        table = Report._meta.db_table
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            while not stop.is_set():
                with self.lock:
                    ids = list(self.pending)
                if ids:
                    found = conn.execute(
                        f"SELECT id FROM {table} WHERE id = ANY(%s)", [ids]
                    ).fetchall()
                    seen = time.monotonic()
                    with self.lock:
                        for (report_id,) in found:
                            self.lags.append(seen - self.pending.pop(report_id))
                time.sleep(POLL_EVERY)

    def wait_landed(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pending and time.monotonic() < deadline:
            time.sleep(0.05)


def wait_until_draining(server: Server, *, slug: str, dsn: str, timeout: float = 60.0) -> None:
    """Block until a probe report lands, i.e. the worker and beat are up and draining."""
    probe = _Probe(server.url, slug, dsn)
    stop = threading.Event()
    poller = threading.Thread(target=probe.poll_loop, args=(stop,), daemon=True)
    poller.start()
    try:
        if probe.post_one() is None:
            raise RuntimeError("the probe report was not accepted")
        probe.wait_landed(timeout)
        if probe.pending:
            raise TimeoutError(f"no report was drained within {timeout} s")
    finally:
        stop.set()
        poller.join()


def measure(
    server: Server,
    *,
    slugs: list[str],
    probe_slug: str,
    dsn: str,
    redis: Redis,
    stream: str,
    seconds: float,
) -> Result:
    probe = _Probe(server.url, probe_slug, dsn)
    stop = threading.Event()
    backlog = [0]

    def sample_backlog() -> None:
        while not stop.is_set():
            backlog[0] = max(backlog[0], redis.xlen(stream))
            time.sleep(0.1)

    probe.posting.set()
    threads = [
        threading.Thread(target=probe.post_loop, daemon=True),
        threading.Thread(target=probe.poll_loop, args=(stop,), daemon=True),
        threading.Thread(target=sample_backlog, daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        load = wrk(
            "intake+drain",
            server.url,
            INTAKE_PATH,
            slugs=slugs,
            seconds=seconds,
            servers=server.pids,
        )
        probe.posting.clear()
        threads[0].join()
        probe.wait_landed(LAND_TIMEOUT)
    finally:
        probe.posting.clear()
        stop.set()
        for thread in threads:
            thread.join()
    return Result(
        load=load,
        lags=probe.lags,
        lost=len(probe.pending),
        probe_errors=probe.errors,
        max_backlog=backlog[0],
    )
