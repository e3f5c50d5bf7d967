"""The webhook transport: signed POSTs (Standard Webhooks) through the SSRF guard, one
subscription's deliveries in event order, subscriptions in parallel on a thread pool."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.conf import settings

from alerts import signing
from alerts.models import Delivery
from alerts.services import chat
from alerts.services.messages import alert_for, officials_for, webhook_body
from alerts.services.outcomes import DeliveryOutcome, Failed, Sent
from alerts.services.subscriptions import signing_secrets, webhook_policy
from common import ssrf
from outages.official.selectors import OfficialStatus

# Deliveries of one event in one language and format share one rendered webhook body.
BodyKey = tuple[int, str, str]  # (event id, language, format)


def webhooks_send(deliveries: list[Delivery], *, now: datetime) -> list[DeliveryOutcome]:
    """Send claimed webhook deliveries. Threads only wait on sockets: the database is touched
    by the caller alone."""
    policy = webhook_policy()
    queues: dict[int, list[Delivery]] = {}
    for delivery in sorted(deliveries, key=lambda d: d.event_id):
        queues.setdefault(delivery.subscription_id, []).append(delivery)
    bodies: dict[BodyKey, bytes] = {}
    officials = officials_for(d.event for d in deliveries)

    def send_queue(queue: list[Delivery]) -> list[DeliveryOutcome]:
        return [
            _webhook_send(d, now=now, policy=policy, bodies=bodies, officials=officials)
            for d in queue
        ]

    threads = min(settings.ALERTS_SEND_THREADS, len(queues))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [outcome for done in pool.map(send_queue, queues.values()) for outcome in done]


def _webhook_send(
    delivery: Delivery,
    *,
    now: datetime,
    policy: ssrf.Policy,
    bodies: dict[BodyKey, bytes],
    officials: dict[int, OfficialStatus],
) -> DeliveryOutcome:
    subscription = delivery.subscription
    key = (delivery.event_id, subscription.language, subscription.format)
    body = bodies.get(key)
    if body is None:
        alert = alert_for(
            delivery.event,
            delivery.event.incident,
            language=subscription.language,
            officials=officials,
        )
        body = bodies[key] = webhook_body(alert, format=subscription.format)
    url, body = chat.chat_request(subscription.url, subscription.format, body)
    headers = signing.headers(
        signing_secrets(subscription, now=now),
        message_id=delivery.message_id,
        timestamp=int(time.time()),
        body=body,
    )
    headers["user-agent"] = "outages-alerts/1"
    try:
        answer = ssrf.post(url, body, headers, policy=policy)
    except ssrf.Refused as exc:
        return Failed(delivery.pk, f"refused: {exc}"[:200])
    except Exception as exc:  # noqa: BLE001 - any transport failure is a failed attempt
        return Failed(delivery.pk, f"{type(exc).__name__}: {exc}"[:200])
    if 200 <= answer.status < 300:
        return Sent(delivery.pk, answer.status)
    return Failed(delivery.pk, f"HTTP {answer.status}", answer.status)
