"""Rows of the reports app: raw reports (as rows to store, or stored) and daily salts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import factory
from django.utils import timezone

from reports.models import Report, Salt
from reports.partitions import partitions_ensure
from reports.rows import ReportRow
from tests.factories.outages import ServiceFactory


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


class ReportFactory(factory.django.DjangoModelFactory):
    """A stored problem report about logging in on the web, received now; each one a distinct
    reporter on a distinct network."""

    class Meta:
        model = Report

    id = factory.LazyFunction(uuid.uuid4)
    service = factory.SubFactory(ServiceFactory)
    kind = "problem"
    platform = "web"
    problem = "login"
    source = "site"
    received_at = factory.LazyFunction(timezone.now)
    fingerprint = factory.LazyFunction(lambda: uuid.uuid4().hex)
    network = factory.LazyFunction(lambda: uuid.uuid4().hex)

    @classmethod
    def _create(cls, model_class: type[Report], *args: object, **kwargs: object) -> Report:
        # Its day's partition (PostgreSQL), as a store makes it.
        received_at = kwargs["received_at"]
        assert isinstance(received_at, datetime)
        partitions_ensure(days={received_at.astimezone(UTC).date()})
        return super()._create(model_class, *args, **kwargs)


class SaltFactory(factory.django.DjangoModelFactory):
    """Today's salt (one a day: asking again for a day gives the stored one)."""

    class Meta:
        model = Salt
        django_get_or_create = ("day",)

    day = factory.LazyFunction(lambda: timezone.now().date())
    secret = b"s" * 32
