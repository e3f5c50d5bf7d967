"""Rows of the outages app: the catalogue, buckets, baselines, incidents and their outbox."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.utils import timezone

from outages.detection.timebuckets import floor_to_minute
from outages.models import (
    DetectionCursor,
    Incident,
    IncidentEvent,
    MinuteBucket,
    SeriesBaseline,
    SeriesState,
    Service,
    ServiceAlias,
    ServiceStatus,
)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


class ServiceAliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceAlias

    service = factory.SubFactory(ServiceFactory)
    alias = factory.Sequence(lambda n: f"alias-{n}")


class MinuteBucketFactory(factory.django.DjangoModelFactory):
    """One problem report about logging in on the web from the US, this minute."""

    class Meta:
        model = MinuteBucket

    service = factory.SubFactory(ServiceFactory)
    minute = factory.LazyFunction(lambda: floor_to_minute(timezone.now()))
    kind = "problem"
    platform = "web"
    problem = "login"
    country = "US"
    count = 1


class ServiceStatusFactory(factory.django.DjangoModelFactory):
    """A service's summary as the detection pass wrote it now: no problems unless told."""

    class Meta:
        model = ServiceStatus

    service = factory.SubFactory(ServiceFactory)
    minute = factory.LazyFunction(timezone.now)


class SeriesBaselineFactory(factory.django.DjangoModelFactory):
    """A fitted baseline of a service's whole series (empty profile: read for its level and
    share only)."""

    class Meta:
        model = SeriesBaseline

    service = factory.SubFactory(ServiceFactory)
    dimension = ""
    value = ""
    level = 1.0
    profile = b""
    params = b""
    fitted_at = factory.LazyFunction(timezone.now)


class SeriesStateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeriesState

    service = factory.SubFactory(ServiceFactory)
    dimension = ""
    value = ""
    state = factory.LazyFunction(dict)


class DetectionCursorFactory(factory.django.DjangoModelFactory):
    """The single shard's cursor, a minute ago."""

    class Meta:
        model = DetectionCursor

    shard = "0/1"
    minute = factory.LazyFunction(lambda: floor_to_minute(timezone.now()) - timedelta(minutes=1))


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


class IncidentEventFactory(factory.django.DjangoModelFactory):
    """The outbox's record of an incident's opening, at the minute it was detected."""

    class Meta:
        model = IncidentEvent

    incident = factory.SubFactory(IncidentFactory)
    key = factory.Sequence(lambda n: f"event-{n}")
    kind = IncidentEvent.Kind.OPEN
    level = 2
    at = factory.LazyAttribute(lambda o: o.incident.detected_at)
