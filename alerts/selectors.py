"""Read side of the alerts app."""

from __future__ import annotations

from alerts.models import Delivery, Subscription


def delivery_log(*, subscription: Subscription, limit: int = 100) -> list[Delivery]:
    return list(
        Delivery.objects.filter(subscription=subscription)
        .select_related("event")
        .order_by("-created_at", "-id")[:limit]
    )
