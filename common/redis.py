"""The process's one Redis client (REDIS_URL): intake's buffer, the widget's tokens and the
readiness check share its connection pool instead of each opening their own."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def redis_client() -> redis.Redis:
    # Short timeouts: when Redis is down, intake falls back to the database instead of hanging.
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1.0, socket_connect_timeout=1.0)
