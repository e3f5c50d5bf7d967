"""Django's Redis cache backend, keeping one redis-py client per connection pool, and reading
as an empty cache while Redis is unreachable.

Django's RedisCacheClient builds a new `redis.Redis` for every operation, and redis-py fills
a table of ~170 response callbacks in each: about a third of a millisecond of CPU per cache
call, more than the edge cache's whole hit (outages/edge.py). A redis-py client is safe to
share between threads (its connection pool hands each command its own connection).

Without Redis, Django's backend raises on every call, and every page and public read (all of
which use the cache) answered 500 while intake went on into PostgreSQL. Here reads miss and
writes keep nothing instead, so the database answers; invalidations (delete, delete_many,
clear) still raise, so that no stale entry outlives an outage unseen. (django-redis's
IGNORE_EXCEPTIONS does the same for its backend, without the client reuse above.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient
from redis.exceptions import RedisError

from common import metrics

logger = logging.getLogger(__name__)
T = TypeVar("T")
# After a failure, Redis is left alone this long: each try may cost a whole socket timeout.
RETRY_SECONDS = 5.0
_down_until: dict[str, float] = {}  # per server, shared by the process's cache instances


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # (not in the stubs)
        client = self._clients.get(id(pool))
        if client is None:
            # Django's private client class, absent from the stubs.
            client = self._clients.setdefault(
                id(pool),
                self._client(connection_pool=pool),  # type: ignore[attr-defined]
            )
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
        self._name = str(server)

    def _or(self, fallback: T, call: Callable[[], T]) -> T:
        """call(), or fallback while Redis is unreachable (or refuses the write)."""
        if time.monotonic() < _down_until.get(self._name, 0.0):
            metrics.cache_unavailable.inc()
            return fallback
        try:
            return call()
        except RedisError as error:
            _down_until[self._name] = time.monotonic() + RETRY_SECONDS
            metrics.cache_unavailable.inc()
            logger.warning(
                "Cache unavailable (%s): reading from the database for %.0f s",
                error.__class__.__name__,
                RETRY_SECONDS,
            )
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        return self._or(default, partial(super().get, key, default, version))

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._or({}, partial(super().get_many, keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, partial(super().has_key, key, version))

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._or(None, partial(super().set, key, value, timeout, version))

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        return self._or(False, partial(super().add, key, value, timeout, version))

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._or(False, partial(super().touch, key, timeout, version))

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._or(list(data), partial(super().set_many, data, timeout, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        """As if the key were missing (Django's ValueError) while Redis is unreachable."""
        found: int | None = self._or(None, partial(super().incr, key, delta, version))
        if found is None:
            raise ValueError(f"Key '{key}' not found (the cache is unavailable).")
        return found
