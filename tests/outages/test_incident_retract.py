"""A moderator's retraction takes an incident off the public pages and, if it was announced,
records one retraction in the alert outbox; restoring it announces nothing new."""

from __future__ import annotations

import pytest
from django.utils import timezone

from outages.models import Incident, IncidentEvent
from outages.services.incidents import incident_restore, incident_retract
from tests.factories import IncidentEventFactory, IncidentFactory

pytestmark = pytest.mark.django_db


def test_an_announced_incident_is_retracted_once_in_the_outbox():
    incident = IncidentFactory()
    IncidentEventFactory(key=f"incident:{incident.pk}:open", incident=incident)
    now = timezone.now()
    incident_retract(incident, at=now)
    incident_retract(incident, at=now)
    incident.refresh_from_db()
    assert incident.visibility == Incident.Visibility.RETRACTED
    assert incident.retracted_at == now
    kinds = list(IncidentEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert kinds == ["open", "retract"]


def test_an_unannounced_incident_is_retracted_silently_and_restored():
    incident = IncidentFactory(visibility=Incident.Visibility.SUSPICIOUS)
    incident_retract(incident, at=timezone.now())
    assert not IncidentEvent.objects.exists()
    incident_restore(incident)
    incident.refresh_from_db()
    assert incident.visibility == Incident.Visibility.PUBLIC
    assert incident.retracted_at is None
    assert not IncidentEvent.objects.exists()
