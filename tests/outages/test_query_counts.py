"""Pages do their reads in a bounded number of queries, whatever the data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outages.models import Incident, MinuteBucket
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy():
    service = ServiceFactory(slug="busy")
    now = timezone.now().replace(second=0, microsecond=0)
    MinuteBucket.objects.bulk_create(  # built by the factory, stored in one insert
        MinuteBucketFactory.build(
            service=service, minute=now - timedelta(minutes=i), platform=p, country=c, count=3
        )
        for i in range(0, 600, 7)
        for p in ("web", "ios")
        for c in ("US", "FR")
    )
    IncidentFactory(
        service=service,
        started_at=now - timedelta(minutes=40),
        detected_at=now - timedelta(minutes=38),
        peak_at=now - timedelta(minutes=20),
        countries=[{"country": "US", "count": 9, "expected": 1.0, "ratio": 9.0}],
        scope="",
    )
    return service


@pytest.mark.parametrize("services", [5, 60])
def test_home_queries_do_not_grow_with_services(client, django_assert_max_num_queries, services):
    for i in range(services):
        service = ServiceFactory(slug=f"s-{i}")
        ServiceStatusFactory(service=service, sparkline=[1, 2])
    with django_assert_max_num_queries(4):
        assert client.get("/").status_code == 200


def test_service_page_queries_are_bounded(client, django_assert_max_num_queries, busy):
    for range_name in ("24h", "7d", "30d"):
        with django_assert_max_num_queries(12):
            assert client.get(f"/s/busy/?range={range_name}").status_code == 200


def test_incident_pages_queries_are_bounded(client, django_assert_max_num_queries, busy):
    incident = Incident.objects.get()
    with django_assert_max_num_queries(4):
        assert client.get(f"/incidents/{incident.pk}/").status_code == 200
    for i in range(10):
        IncidentFactory(
            service=ServiceFactory(slug=f"other-{i}"),
            level=1,
            started_at=incident.started_at,
            detected_at=incident.detected_at,
            peak_at=incident.peak_at,
            scope="",
        )
    with django_assert_max_num_queries(3):
        assert client.get("/incidents/").status_code == 200
