"""The Redis cache backend: Django's, sharing one redis-py client per connection pool, and
reading as an empty cache while Redis is unreachable, so pages are served from the database."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import redis
from django.core.cache import caches
from prometheus_client import REGISTRY

from common import cache as cache_module
from common.cache import RedisCache
from tests.factories import ServiceFactory
from tests.ports import free_port

PUBLIC_READS = [
    "/",
    "/s/twitter/",
    "/s/twitter/live.json",
    "/api/v1/services/twitter",
    "/badge/twitter.svg",
    "/embed/twitter/",
    "/s/twitter/series.csv",
]


def _point_cache_at(settings, port: int, *, timeout: float = 0.5) -> RedisCache:
    cache_module._down_until.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "common.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }
    return caches["default"]


@pytest.fixture
def unreachable_cache(settings) -> Iterator[RedisCache]:
    """The cache pointed at a port where nothing listens."""
    yield _point_cache_at(settings, free_port())
    cache_module._down_until.clear()


def _unavailable() -> float:
    return REGISTRY.get_sample_value("outages_cache_unavailable_total") or 0.0


@pytest.mark.services
def test_the_cache_reuses_its_client_and_still_works():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    client = cache._cache.get_client()

    cache.set_many({"a": 1, "b": (1, "x", b"y")}, 5)

    assert cache._cache.get_client(write=True) is client
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": (1, "x", b"y")}


@pytest.mark.django_db
def test_public_reads_are_served_from_the_database_while_redis_is_unreachable(
    client, settings, caplog
):
    # Before the cache goes: saving a service invalidates its cached summary, which raises
    # while Redis is unreachable (the save is refused rather than leaving a stale entry).
    ServiceFactory(slug="twitter", name="Twitter")
    _point_cache_at(settings, free_port())
    before = _unavailable()

    for path in PUBLIC_READS:
        assert client.get(path).status_code == 200, path

    assert _unavailable() > before
    warnings = [r for r in caplog.records if r.name == "common.cache"]
    assert len(warnings) == 1 and "reading from the database" in warnings[0].getMessage()


def test_reads_miss_and_writes_keep_nothing_but_invalidations_raise(unreachable_cache):
    cache = unreachable_cache
    assert cache.get("k", "default") == "default"
    assert cache.get_or_set("k", lambda: 42, 30) == 42
    assert cache.get_many(["k"]) == {} and not cache.has_key("k")
    assert cache.add("k", 1) is False and cache.set_many({"k": 1}) == ["k"]
    cache.set("k", 1)
    with pytest.raises(ValueError, match="unavailable"):
        cache.incr("k")  # as if missing: the partner throttle then starts a window
    for invalidate in (lambda: cache.delete("k"), lambda: cache.delete_many(["k"])):
        with pytest.raises(redis.ConnectionError):
            invalidate()


def test_a_redis_that_does_not_answer_is_left_alone_for_a_while(settings):
    """Each try can cost a socket timeout: after one, the cache misses at once for a while."""
    accepted: list[socket.socket] = []
    stop = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, never answers
        silent.settimeout(0.05)

        def accept() -> None:
            while not stop.is_set():
                try:
                    accepted.append(silent.accept()[0])
                except TimeoutError:
                    pass

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        cache = _point_cache_at(settings, silent.getsockname()[1], timeout=0.3)
        try:
            assert cache.get("k") is None  # tried: one connection, one timeout
            assert [cache.get("k") for _ in range(20)] == [None] * 20  # not tried
            assert len(accepted) == 1
            # Move the pause's end back by its length, as if RETRY_SECONDS had passed.
            cache_module._down_until[cache._name] -= cache_module.RETRY_SECONDS
            assert cache.get("k") is None  # tried again once the pause is over
            assert len(accepted) == 2
        finally:
            stop.set()
            thread.join()
            for conn in accepted:
                conn.close()
            cache_module._down_until.clear()
