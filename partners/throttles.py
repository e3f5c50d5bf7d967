"""A partner key's own rate limit, counted per key.

A fixed window counted with cache.add + cache.incr (atomic on Redis): DRF's sliding-window
throttles keep every request's timestamp in one cache value, which for thousands of requests
an hour is a large list read and rewritten on each request.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from partners.keys import rate_parse
from partners.services import Partner


class ApiKeyThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        partner = request.user
        if not isinstance(partner, Partner):
            return True  # anonymous: HashedAnonThrottle's business
        allowed, duration = rate_parse(partner.rate)
        now = time.time()
        window = int(now // duration)
        key = f"throttle:apikey:{partner.key_id}:{window}"
        cache.add(key, 0, duration + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, duration + 1)
            count = 1
        if count <= allowed:
            return True
        self._wait = (window + 1) * duration - now
        return False

    def wait(self) -> float | None:
        return self._wait
