"""Alert delivery by real Celery worker processes (with their beat), one killed mid-delivery:
the delivery is sent again under the same webhook-id once its lease runs out, is recorded
sent once, and a redelivered outbox event never sends a second successful delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts.models import Delivery
from alerts.services.delivery import deliveries_release_expired, deliveries_send
from alerts.services.fanout import events_fan_out
from outages.models import IncidentEvent
from tests.alerts.conftest import incident_event, webhook
from tests.alerts.receiver import Receiver, running
from tests.factories import ServiceFactory
from tests.integration.workers import kill_hard, start_worker, stop, wait_until, worker_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def alert_env(tmp_path):  # type: ignore[no-untyped-def]
    return worker_env(
        tmp_path,
        ALERTS_ALLOW_LOOPBACK="true",
        ALERTS_HTTPS_ONLY="false",
        ALERTS_SENDING_LEASE_SECONDS="2",
        ALERTS_SEND_BUDGET_SECONDS="2",
    )


def more_rounds() -> None:
    """Further fan-out and send rounds, driven here rather than waited for: ten minutes on,
    every lease has run out and every backoff is over, so anything left would go out now."""
    later = timezone.now() + timedelta(minutes=10)
    for _ in range(3):
        events_fan_out(now=later)
        deliveries_release_expired(now=later)
        deliveries_send(now=later)


def test_a_worker_killed_mid_delivery_never_sends_twice(settings, redis_client, tmp_path):
    settings.ALERTS_ALLOW_LOOPBACK, settings.ALERTS_HTTPS_ONLY = True, False
    service = ServiceFactory(slug="twitter", name="Twitter")
    # The first request is held open until the worker is dead; the next ones are answered.
    with running(Receiver(secrets=[], answers=["hang", 200])) as receiver:
        created = webhook(service, receiver)
        incident_event(service)
        worker = start_worker(alert_env(tmp_path))
        try:
            assert wait_until(lambda: len(receiver.received) == 1, timeout=60)
            assert Delivery.objects.get().status == "sending"
        finally:
            kill_hard(worker)  # mid-request: no answer was ever read
        worker = start_worker(alert_env(tmp_path))
        try:
            assert wait_until(lambda: Delivery.objects.get().status == "sent", timeout=60)
        finally:
            stop(worker)
        more_rounds()  # nothing else goes out
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 2, 200)
        assert len(receiver.received) == 2 and all(r.verified for r in receiver.received)
        expected = f"msg_{delivery.event_id}_{created.subscription.pk}"
        assert {r.headers["webhook-id"] for r in receiver.received} == {expected}

        # The outbox event redelivered (as if the fan-out's commit had been lost): the
        # (event, subscription) pair exists, so nothing is sent again.
        IncidentEvent.objects.update(delivered_at=None)
        worker = start_worker(alert_env(tmp_path))
        try:
            assert wait_until(
                lambda: not IncidentEvent.objects.filter(delivered_at=None).exists(), timeout=60
            )
        finally:
            stop(worker)
        more_rounds()
        assert len(receiver.received) == 2
        assert Delivery.objects.filter(status="sent").count() == 1
