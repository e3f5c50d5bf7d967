"""Webhook deliveries per Standard Webhooks, verified by the reference library in a local
receiver; tampering, staleness and a wrong secret are rejected by it; retries keep the id."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from alerts import signing
from alerts.models import Delivery
from alerts.services.delivery import deliveries_send
from alerts.services.fanout import events_fan_out
from alerts.services.subscriptions import subscription_secret_rotate
from tests.alerts.conftest import incident_event, webhook
from tests.alerts.receiver import Receiver, running

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]


def send_all(*, at=None) -> int:  # type: ignore[no-untyped-def]
    now = at or timezone.now()
    events_fan_out(now=now)
    return deliveries_send(now=now)


def test_a_delivery_verifies_with_the_reference_library(service, receiver):
    created = webhook(service, receiver)
    event = incident_event(service, "open", 2)
    assert send_all() == 1
    [got] = receiver.received
    assert got.verified, got.error
    assert got.headers["webhook-id"] == f"msg_{event.pk}_{created.subscription.pk}"
    assert got.headers["webhook-signature"].startswith("v1,")
    payload = json.loads(got.body)
    assert payload["type"] == "incident.opened"
    assert payload["data"]["service"]["slug"] == "twitter"
    assert payload["data"]["feeds"]["atom"] == "https://outages.example/s/twitter/feed.atom"
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("sent", 1, 200)


def test_the_library_rejects_tampering_staleness_and_a_wrong_secret(service, receiver):
    webhook(service, receiver)
    incident_event(service)
    send_all()
    [got] = receiver.received
    verifier = Webhook(receiver.secrets[0])
    verifier.verify(got.body, got.headers)  # the original passes
    with pytest.raises(WebhookVerificationError):
        verifier.verify(got.body.replace(b"twitter", b"twittex"), got.headers)
    stale = int(time.time()) - 600
    headers = signing.headers(
        [receiver.secrets[0]], message_id=got.headers["webhook-id"], timestamp=stale, body=got.body
    )
    with pytest.raises(WebhookVerificationError, match="too old"):
        verifier.verify(got.body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.secret_new()).verify(got.body, got.headers)


def test_retries_carry_the_same_id_and_back_off(service):
    with running(Receiver(secrets=[], answers=[500, 503, 200])) as receiver:
        created = webhook(service, receiver)
        incident_event(service)
        now = timezone.now()
        send_all(at=now)
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
        assert delivery.next_attempt_at > now  # not due again at once
        assert deliveries_send(now=now) == 0
        deliveries_send(now=delivery.next_attempt_at)
        delivery.refresh_from_db()
        deliveries_send(now=delivery.next_attempt_at)
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts) == ("sent", 3)
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert len(receiver.received) == 3 and len(ids) == 1
        assert all(r.verified for r in receiver.received)
        created.subscription.refresh_from_db()
        assert created.subscription.consecutive_failures == 0
        assert deliveries_send(now=delivery.next_attempt_at + timedelta(days=1)) == 0


def test_during_a_rotation_both_secrets_verify(service, receiver):
    created = webhook(service, receiver)
    old = created.subscription.secret
    new = subscription_secret_rotate(created.subscription, now=timezone.now())
    incident_event(service)
    send_all()
    [got] = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(got.body, got.headers)
    Webhook(new).verify(got.body, got.headers)


def test_after_the_overlap_only_the_new_secret_signs(service, receiver):
    created = webhook(service, receiver)
    old = created.subscription.secret
    new = subscription_secret_rotate(created.subscription, now=timezone.now() - timedelta(days=2))
    receiver.secrets[:] = [new]
    incident_event(service)
    send_all()
    [got] = receiver.received
    Webhook(new).verify(got.body, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(got.body, got.headers)


@pytest.mark.parametrize("format_, key", [("slack", "text"), ("discord", "content")])
def test_slack_and_discord_payloads(service, receiver, format_, key):
    webhook(service, receiver, format=format_)
    incident_event(service)
    send_all()
    [got] = receiver.received
    assert got.verified
    assert "Problems at Twitter" in json.loads(got.body)[key]
