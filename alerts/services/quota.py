"""Daily caps on confirmation e-mails, so the subscription form cannot be used to flood a
mailbox (one address under many +tags or cases) or to mail many people from one client.

Each confirmation asked for is a ConfirmationRequest row (keyed hashes only). A row counts for
a day, until its subscription is confirmed: deleting the pending subscription does not free
its place. Counting and recording run under a lock per address and per requester (PostgreSQL
advisory locks; SQLite's IMMEDIATE transactions serialize writers anyway), so requests at
once cannot slip past a cap together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils.crypto import salted_hmac

from alerts.models import ConfirmationRequest, Subscription

WINDOW = timedelta(days=1)


@dataclass
class ConfirmationsExhausted(Exception):
    """Too many confirmations pending for this address (or from this requester) today."""

    by: str  # "address" or "requester"
    retry_after: int  # seconds until one place is free again


def address_normalised(email: str) -> str:
    """One mailbox, whatever its spelling: lower case, and without a +tag (ana+1@x = ana@x)."""
    local, _, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def address_key(email: str) -> str:
    return salted_hmac("alerts.confirmation-address", address_normalised(email)).hexdigest()


def confirmation_quota_take(
    *, email: str, requester: str, subscription: Subscription, now: datetime
) -> None:
    """Record a confirmation about to be sent for `subscription`, or raise
    ConfirmationsExhausted if the address or the requester has used up its day. Call inside
    the transaction that creates the subscription (its locks last until the commit)."""
    key = address_key(email)
    _lock(sorted({f"address:{key}", f"requester:{requester}" if requester else ""} - {""}))
    caps = [("address", Q(address_key=key), settings.ALERTS_CONFIRMATIONS_PER_ADDRESS)]
    if requester:
        caps.append(
            ("requester", Q(requester=requester), settings.ALERTS_CONFIRMATIONS_PER_FINGERPRINT)
        )
    for by, which, cap in caps:
        wait = _wait(which, cap=cap, now=now)
        if wait is not None:
            if by == "requester":  # the fingerprint changes at midnight UTC: a new day
                midnight = datetime.combine(now.date() + timedelta(days=1), time.min, now.tzinfo)
                wait = min(wait, (midnight - now).total_seconds())
            raise ConfirmationsExhausted(by, max(1, math.ceil(wait)))
    ConfirmationRequest.objects.create(
        address_key=key, requester=requester, subscription=subscription, created_at=now
    )


def confirmation_requests_expire(*, now: datetime) -> int:
    """Forget the requests that no longer count (older than a day)."""
    deleted, _ = ConfirmationRequest.objects.filter(created_at__lt=now - WINDOW).delete()
    return deleted


def _wait(which: Q, *, cap: int, now: datetime) -> float | None:
    """Seconds until fewer than `cap` requests count, or None if fewer do now (or cap is 0:
    no cap)."""
    if cap <= 0:
        return None
    counted = list(
        ConfirmationRequest.objects.filter(which, created_at__gt=now - WINDOW)
        .filter(Q(subscription__isnull=True) | Q(subscription__state=Subscription.State.PENDING))
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(counted) < cap:
        return None
    freed = counted[len(counted) - cap] + WINDOW  # enough of the oldest have left the day
    return (freed - now).total_seconds()


def _lock(names: list[str]) -> None:
    """Transaction-level advisory locks on PostgreSQL, taken in a fixed order."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])
