"""Shared fixtures. `make test-postgres` runs everything against the real services and fails
at once if one is missing; `make test-sqlite` runs the rest on the embedded default."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
import redis as redis_lib
import time_machine
from django.conf import settings

from reports.intake import buffer, fingerprint, pipeline
from reports.services import report_drain


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 2
        ).close()
    except OSError:
        return False
    return True


def pytest_sessionstart(session: pytest.Session) -> None:
    if not os.environ.get("REQUIRE_SERVICES"):
        return
    needed = {
        "PostgreSQL (DATABASE_URL)": (os.environ.get("DATABASE_URL", ""), 5432),
        "Redis (REDIS_URL)": (os.environ.get("REDIS_URL", ""), 6379),
    }
    for name, (url, port) in needed.items():
        if not url or not _reachable(url, port):
            pytest.exit(f"{name} is required for this run and is not reachable at {url!r}.", 2)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Pages cache hot fragments; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_intake_state() -> Iterator[None]:
    """Intake keeps per-process caches (buffers, slug map); start each test without them."""
    for cached in (buffer.primary_buffer, buffer.fallback_buffer, buffer.redis_client):
        cached.cache_clear()
    pipeline.services_forget()
    fingerprint.salts_forget()
    yield
    for cached in (buffer.primary_buffer, buffer.fallback_buffer, buffer.redis_client):
        cached.cache_clear()


# Half-way through a minute, an hour and a weekday.
MIDDAY = datetime(2026, 11, 18, 12, 30, 30, tzinfo=UTC)


@pytest.fixture
def midday() -> Iterator[datetime]:
    """The clock held at MIDDAY for the whole test. For tests that let a view read the clock
    more than once and expect the same day (fingerprint salts rotate at midnight UTC), hour
    (rate-limit windows) or minute (buckets), wherever CI happens to run them."""
    with time_machine.travel(MIDDAY, tick=False):
        yield MIDDAY


@pytest.fixture
def database_buffer(settings: object) -> None:
    """Intake through the database buffer (the embedded default and the Redis-down fallback)."""
    settings.INTAKE_BUFFER = "database"  # type: ignore[attr-defined]


@pytest.fixture
def redis_client() -> Iterator[redis_lib.Redis]:
    """The suite's Redis database, emptied before and after the test."""
    if not settings.REDIS_URL:
        pytest.fail("This test needs REDIS_URL (run it with `make test-postgres`).")
    client = redis_lib.Redis.from_url(settings.REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def drain_all(client: redis_lib.Redis, *, consumer: str = "test", claim_idle_ms: int = 0) -> int:
    """Run the bucketing consumer until the stream is empty; returns reports moved."""
    return report_drain(
        redis=client,
        stream=settings.INTAKE_STREAM,
        group=settings.INTAKE_STREAM_GROUP,
        consumer=consumer,
        batch_size=500,
        budget_seconds=0,
        claim_idle_ms=claim_idle_ms,
    )


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.services)])
def intake_buffer(request: pytest.FixtureRequest, settings: object) -> Callable[[], None]:
    """Run a test through each intake buffer; call the returned `settle()` before reading rows
    (it drains the Redis stream into the database, as the Celery consumer would)."""
    settings.INTAKE_BUFFER = request.param  # type: ignore[attr-defined]
    if request.param == "database":
        return lambda: None
    client = request.getfixturevalue("redis_client")
    return lambda: drain_all(client) and None
