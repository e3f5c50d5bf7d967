"""What one attempt at a delivery came to, as a type each: sent, failed (retried with backoff
until ALERTS_MAX_ATTEMPTS) or skipped (its subscription is no longer active). The transports
answer them; alerts.services.delivery records them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sent:
    delivery_id: int
    status: int | None = None  # the webhook's HTTP status; None for an e-mail


@dataclass(frozen=True)
class Failed:
    delivery_id: int
    note: str  # why, in a few words, kept on the row
    status: int | None = None


@dataclass(frozen=True)
class Skipped:
    delivery_id: int
    note: str


DeliveryOutcome = Sent | Failed | Skipped
