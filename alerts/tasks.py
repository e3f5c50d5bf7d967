"""Celery interfaces of the alerts app: thin wrappers over its services (fan-out, delivery,
digest, confirmations)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import KombuError

from alerts.services.delivery import deliveries_due, deliveries_release_expired, deliveries_send
from alerts.services.digest import digests_send
from alerts.services.email import confirmation_deliver, confirmations_retry
from alerts.services.fanout import events_fan_out
from alerts.services.quota import confirmation_requests_expire

log = logging.getLogger(__name__)
BATCH = 200
MAX_SEND_TASKS = 64


@shared_task(name="alerts.dispatch", ignore_result=True)
def dispatch_task() -> int:
    """Fan new outbox events out, then queue enough send tasks for what is due (spread over
    however many worker processes are listening)."""
    now = timezone.now()
    events_fan_out(now=now)
    deliveries_release_expired(now=now)
    due = deliveries_due(now=now)
    tasks = min(-(-due // BATCH), MAX_SEND_TASKS)
    for _ in range(tasks):
        send_task.delay()
    return tasks


@shared_task(name="alerts.send", ignore_result=True)
def send_task(budget_seconds: float | None = None) -> int:
    """Send batches of due deliveries until none is left or the budget is spent."""
    budget = settings.ALERTS_SEND_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = timezone.now()
    sent = 0
    while True:
        claimed = deliveries_send(now=timezone.now(), limit=BATCH)
        sent += claimed
        if not claimed or (timezone.now() - started).total_seconds() >= budget:
            return sent


@shared_task(name="alerts.digest", ignore_result=True)
def digest_task() -> int:
    return digests_send(now=timezone.now())


@shared_task(name="alerts.confirmation_send", ignore_result=True)
def confirmation_send_task(subscription_id: int) -> bool:
    """A new subscription's confirmation e-mail, queued once its creation has committed."""
    return confirmation_deliver(subscription_id=subscription_id, now=timezone.now())


@shared_task(name="alerts.confirmations_retry", ignore_result=True)
def confirmations_retry_task() -> int:
    """Confirmations not sent yet; and forget the requests the daily caps no longer count."""
    now = timezone.now()
    confirmation_requests_expire(now=now)
    return confirmations_retry(now=now)


def confirmation_enqueue(subscription_id: int) -> None:
    """Queue the confirmation e-mail (subscription_create calls it once its transaction has
    committed). If the broker cannot take it, the subscriber is still answered:
    confirmations_retry sends what was never sent, a minute later."""
    try:
        confirmation_send_task.delay(subscription_id)
    except (KombuError, OSError) as error:
        log.warning(
            "Confirmation of subscription %s not queued (%s); it will be retried",
            subscription_id,
            error.__class__.__name__,
        )
