"""Short-lived, single-use report tokens of the embed page: they stand in for CSRF, which the
widget cannot use (no cookies in a third-party iframe).

A token signs (service slug, random nonce, embedding origin) with a timestamp; redeeming it
checks the signature, its age and the service, then claims the nonce once (Redis SET NX EX when
REDIS_URL is set, else the cache) until the token would have expired anyway.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache

from common.redis import redis_client

SALT = "outages.embed.report-token"
MAX_AGE_SECONDS = 600
_NONCE_KEY = "embed:nonce:"


@dataclass(frozen=True)
class Grant:
    """What a redeemed token allows: one report about `slug`, sent through `origin`."""

    slug: str
    origin: str


class TokenRejected(Exception):
    """The token may not be used; `reason` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def embed_token_issue(*, slug: str, origin: str) -> str:
    payload = {"s": slug, "n": secrets.token_urlsafe(12), "o": origin}
    return signing.TimestampSigner(salt=SALT).sign_object(payload, compress=False)


def embed_token_redeem(token: object, *, slug: str) -> Grant:
    """The token's grant, if valid for `slug` and never redeemed before; else TokenRejected."""
    if not isinstance(token, str) or not token:
        raise TokenRejected("required")
    try:
        payload = signing.TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        raise TokenRejected("expired: reload the widget") from None
    except (signing.BadSignature, ValueError):
        raise TokenRejected("invalid") from None
    if not isinstance(payload, dict) or payload.get("s") != slug:
        raise TokenRejected("issued for another service")
    if not _claim(str(payload.get("n", ""))):
        raise TokenRejected("already used")
    return Grant(slug=slug, origin=str(payload.get("o", "")))


def _claim(nonce: str) -> bool:
    """True the first time a nonce is claimed (until it expires)."""
    key = _NONCE_KEY + nonce
    if settings.REDIS_URL:
        return bool(redis_client().set(key, 1, nx=True, ex=MAX_AGE_SECONDS))
    return cache.add(key, 1, timeout=MAX_AGE_SECONDS)
