from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import factory
from django.utils import timezone

from comments.models import Comment
from outages.detection.timebuckets import floor_to_minute
from outages.models import Incident, Service
from reports.rows import ReportRow


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class IncidentFactory(factory.django.DjangoModelFactory):
    """A public service-wide incident that started 30 minutes ago and is still open."""

    class Meta:
        model = Incident

    service = factory.SubFactory(ServiceFactory)
    level = 2
    started_at = factory.LazyFunction(
        lambda: floor_to_minute(timezone.now()) - timedelta(minutes=30)
    )
    detected_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=2))
    peak_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=21))
    visibility = Incident.Visibility.PUBLIC
    scope = Incident.Scope.INTERNATIONAL


def report_row(*, service_id: int, received_at: datetime, **overrides: object) -> ReportRow:
    """A storable report with sensible defaults; each call is a distinct reporter."""
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "service_id": service_id,
        "kind": "problem",
        "platform": "web",
        "problem": "login",
        "country": "US",
        "subdivision": "",
        "source": "api",
        "origin": "",
        "received_at": received_at,
        "fingerprint": uuid.uuid4().hex,
        "network": uuid.uuid4().hex,
        "counted": True,
    }
    values.update(overrides)
    return ReportRow(**values)  # type: ignore[arg-type]


class OfficialSourceFactory(factory.django.DjangoModelFactory):
    """A Statuspage source of a service, due now."""

    class Meta:
        model = "official.OfficialSource"

    service = factory.SubFactory(ServiceFactory)
    kind = "statuspage"
    url = "https://status.example.com/api/v2/summary.json"


class OfficialIncidentFactory(factory.django.DjangoModelFactory):
    """An incident the company announced 20 minutes ago, unresolved."""

    class Meta:
        model = "official.OfficialIncident"

    source = factory.SubFactory(OfficialSourceFactory)
    external_id = factory.Sequence(lambda n: f"inc-{n}")
    title = "Disruption with some services"
    url = "https://stspg.io/example"
    impact = "major"
    announced_at = factory.LazyFunction(lambda: timezone.now() - timedelta(minutes=20))
    first_seen_at = factory.LazyFunction(timezone.now)


class CommentFactory(factory.django.DjangoModelFactory):
    """A reader's comment waiting for a moderator."""

    class Meta:
        model = Comment

    service = factory.SubFactory(ServiceFactory)
    name = "Ada"
    email = "ada@example.com"
    text = factory.Sequence(lambda n: f"Down here too ({n}).")
    created_at = factory.LazyFunction(timezone.now)
    fingerprint = factory.Sequence(lambda n: f"{n:032x}")
    text_key = factory.Sequence(lambda n: f"{n:032x}")
