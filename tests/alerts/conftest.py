from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerts.services.subscriptions import Created, subscription_create
from outages.models import Incident, IncidentEvent
from tests.alerts.receiver import Receiver, running
from tests.factories import IncidentFactory, ServiceFactory


@pytest.fixture
def loopback(settings):  # type: ignore[no-untyped-def]
    """Webhooks to 127.0.0.1 allowed: the local receivers live there."""
    settings.ALERTS_ALLOW_LOOPBACK = True
    settings.ALERTS_HTTPS_ONLY = False
    settings.SITE_URL = "https://outages.example"


@pytest.fixture
def service():  # type: ignore[no-untyped-def]
    return ServiceFactory(slug="twitter", name="Twitter")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running(Receiver(secrets=[])) as found:
        yield found


def webhook(service, receiver: Receiver, **options) -> Created:  # type: ignore[no-untyped-def]
    created = subscription_create(service=service, channel="webhook", url=receiver.url, **options)
    receiver.secrets.append(created.subscription.secret)
    return created


def incident_event(service, kind: str = "open", level: int = 2, **incident) -> IncidentEvent:  # type: ignore[no-untyped-def]
    found = Incident.objects.filter(service=service).first() or IncidentFactory(
        service=service, level=level, **incident
    )
    return IncidentEvent.objects.create(
        key=f"incident:{found.pk}:{kind}:{level}", incident=found, kind=kind, level=level,
        at=found.detected_at,
    )  # fmt: skip
