"""Rows of the alerts app: subscriptions."""

from __future__ import annotations

import hashlib

import factory

from alerts.models import Subscription
from tests.factories.outages import ServiceFactory


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """An active webhook subscription to every incident of a service."""

    class Meta:
        model = Subscription

    service = factory.SubFactory(ServiceFactory)
    channel = Subscription.Channel.WEBHOOK
    url = "https://hooks.example.com/outages"
    secret = "whsec_" + "A" * 43
    token_hash = factory.Sequence(lambda n: hashlib.sha256(f"token-{n}".encode()).hexdigest())
    state = Subscription.State.ACTIVE
