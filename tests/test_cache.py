"""The Redis cache backend: Django's, sharing one redis-py client per connection pool."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from common.cache import RedisCache

pytestmark = pytest.mark.services


def test_the_cache_reuses_its_client_and_still_works():
    cache = caches["default"]
    assert isinstance(cache, RedisCache)
    client = cache._cache.get_client()

    cache.set_many({"a": 1, "b": (1, "x", b"y")}, 5)

    assert cache._cache.get_client(write=True) is client
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "b": (1, "x", b"y")}
