"""The web tier as deployed: gunicorn with config/gunicorn.py (gevent workers, a PostgreSQL
pool per worker process) against the test database and the suite's Redis."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import ServiceFactory
from tests.integration.workers import deployed_web, worker_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]
POOL_SIZE = 3
APP = "web-tier-test"  # the server's connections, told apart from any other in pg_stat_activity


@pytest.fixture
def web(tmp_path: Path) -> Iterator[str]:
    env = worker_env(
        tmp_path,
        DATABASE_POOL_SIZE=str(POOL_SIZE),
        TRUSTED_PROXY_COUNT="1",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path),
    )
    env["DATABASE_URL"] += f"?application_name={APP}"
    with deployed_web(env) as port:
        yield f"http://127.0.0.1:{port}"


def _fetch(request: urllib.request.Request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _report(base: str, n: int) -> urllib.request.Request:
    return urllib.request.Request(
        f"{base}/api/v1/services/twitter/reports",
        data=json.dumps({"id": str(uuid.uuid4()), "platform": "web", "problem": "login"}).encode(),
        # A reporter each, so no rate limit or dedupe window stands between them.
        headers={"Content-Type": "application/json", "X-Forwarded-For": f"198.51.{n}.7"},
    )


def _backends() -> int:
    """The server's connections to the test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [APP],
        )
        return int(cursor.fetchone()[0])


def test_requests_at_once_are_served_by_greenlets_sharing_a_small_database_pool(web, redis_client):
    ServiceFactory(slug="twitter")
    entries = redis_client.xlen(settings.INTAKE_STREAM)
    with ThreadPoolExecutor(max_workers=32) as clients:
        pages = list(clients.map(_fetch, [urllib.request.Request(f"{web}/s/twitter/")] * 64))
        reports = list(clients.map(_fetch, [_report(web, n) for n in range(64)]))

    assert pages == [200] * 64
    assert reports == [202] * 64
    assert redis_client.xlen(settings.INTAKE_STREAM) - entries == 64
    connections = _backends()
    # The count sees the server's connections (its pool keeps at least one open) ...
    assert connections >= 1, "no connection of the server's found: the count would prove nothing"
    # ... and 32 requests at once in one worker used no more than its pool. Without the pool,
    # each greenlet holds a connection of its own: this count was 32.
    assert connections <= POOL_SIZE, f"{connections} connections for a pool of {POOL_SIZE}"


def test_pooled_connections_cut_by_postgresql_are_replaced_before_a_request_uses_them(web):
    ServiceFactory(slug="twitter")
    page = urllib.request.Request(f"{web}/s/twitter/")
    assert _fetch(page) == 200
    with connection.cursor() as cursor:  # what a PostgreSQL restart does to the pool's idle ones
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            [APP],
        )
        assert cursor.fetchone()[0] >= 1

    assert [_fetch(page) for _ in range(5)] == [200] * 5
