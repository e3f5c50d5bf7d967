"""API key tokens: made, split and hashed. Pure (stdlib only).

A key reads `odk_<prefix>_<secret>`: the prefix (8 hex characters) names the key to admins and
in logs; the secret carries 256 bits, so one unsalted SHA-256 of the whole key is enough to
store (no one can guess their way to a preimage) and lets a request find its key in one lookup.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

TAG = "odk"
_SHAPE = re.compile(rf"^{TAG}_([0-9a-f]{{8}})_[A-Za-z0-9_-]{{43}}$")
RATE = re.compile(r"^[1-9][0-9]{0,8}/(s|sec|second|m|min|minute|h|hour|d|day)$")


@dataclass(frozen=True)
class NewKey:
    raw: str  # shown once, never stored
    prefix: str
    digest: str


def key_generate() -> NewKey:
    prefix = secrets.token_hex(4)
    raw = f"{TAG}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(raw=raw, prefix=prefix, digest=key_digest(raw))


def key_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def key_is_well_formed(raw: str) -> bool:
    return _SHAPE.match(raw) is not None


def rate_parse(rate: str) -> tuple[int, int]:
    """'6000/hour' -> (6000, 3600): requests allowed per window of that many seconds."""
    count, _, period = rate.partition("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]
