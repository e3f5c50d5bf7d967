"""API throttles that never keep a raw address: the client is identified by a keyed hash."""

from __future__ import annotations

import hashlib

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import AnonRateThrottle


class HashedAnonThrottle(AnonRateThrottle):
    """DRF's anonymous throttle, its cache key built from a keyed hash of the address."""

    def get_ident(self, request: Request) -> str:
        # None when the server gives no address (a unix socket, say): one shared bucket.
        address = super().get_ident(request) or ""
        key = settings.SECRET_KEY.encode()[:64]
        return hashlib.blake2b(address.encode(), key=key, digest_size=16).hexdigest()
