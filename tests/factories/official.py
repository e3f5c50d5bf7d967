"""Rows of the official status pages: a company's source, its incidents, acknowledgements."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from outages.official.models import Acknowledgement, OfficialIncident, OfficialSource
from tests.factories.outages import IncidentFactory, ServiceFactory


class OfficialSourceFactory(factory.django.DjangoModelFactory):
    """A Statuspage source of a service, due now."""

    class Meta:
        model = OfficialSource

    service = factory.SubFactory(ServiceFactory)
    kind = "statuspage"
    url = "https://status.example.com/api/v2/summary.json"


class OfficialIncidentFactory(factory.django.DjangoModelFactory):
    """An incident the company announced 20 minutes ago, unresolved."""

    class Meta:
        model = OfficialIncident

    source = factory.SubFactory(OfficialSourceFactory)
    external_id = factory.Sequence(lambda n: f"inc-{n}")
    title = "Disruption with some services"
    url = "https://stspg.io/example"
    impact = "major"
    announced_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=20))
    first_seen_at = factory.LazyFunction(timezone.now)


class AcknowledgementFactory(factory.django.DjangoModelFactory):
    """The company's announcement of a crowd incident; the lead follows from the two times."""

    class Meta:
        model = Acknowledgement

    incident = factory.SubFactory(IncidentFactory)
    official_incident = factory.SubFactory(
        OfficialIncidentFactory, source__service=factory.SelfAttribute("...incident.service")
    )
    acknowledged_at = factory.LazyAttribute(lambda o: o.official_incident.announced_at)
    lead_seconds = factory.LazyAttribute(
        lambda o: int((o.acknowledged_at - o.incident.started_at).total_seconds())
    )
