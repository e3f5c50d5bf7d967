from __future__ import annotations

import uuid
from datetime import datetime

import factory

from outages.models import Service
from reports.rows import ReportRow


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())


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
