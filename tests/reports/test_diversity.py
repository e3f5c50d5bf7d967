"""The diversity of a spike's reporters, read from the raw reports for the diversity rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from reports.selectors import report_diversity
from reports.services import report_store_batch
from tests.factories import ServiceFactory, report_row

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)


def store(service_id: int, n: int, **same: str) -> None:
    with transaction.atomic():
        report_store_batch(
            rows=[
                report_row(service_id=service_id, received_at=T0 + timedelta(seconds=i), **same)
                for i in range(n)
            ]
        )


def diversity(service_id: int):  # type: ignore[no-untyped-def]
    return report_diversity(service_id, T0, T0 + timedelta(minutes=5))


def test_a_crowd_passes():
    service = ServiceFactory()
    store(service.id, 40)
    found = diversity(service.id)
    assert (found.reports, found.reporters, found.networks) == (40, 40, 40)
    assert found.passes


@pytest.mark.parametrize(
    ("same", "field"),
    [
        ({"network": "n" * 32}, "top_network_share"),
        ({"origin": "https://prank.example", "source": "widget"}, "top_origin_share"),
    ],
)
def test_one_network_or_one_embedding_origin_fails(same, field):
    service = ServiceFactory()
    store(service.id, 40, **same)
    found = diversity(service.id)
    assert getattr(found, field) == 1.0
    assert not found.passes


def test_few_fingerprints_fail():
    service = ServiceFactory()
    for i in range(3):
        store(service.id, 10, fingerprint=f"{i:032d}")
    found = diversity(service.id)
    assert found.reporters == 3
    assert not found.passes


def test_other_services_and_other_times_do_not_count():
    service, other = ServiceFactory(), ServiceFactory()
    store(other.id, 40)
    assert diversity(service.id).reports == 0
