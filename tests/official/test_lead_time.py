"""The crowd's lead time: when the company first acknowledged a crowd incident, shown on the
incident page and API, counted per service over 90 days, and the wording beside the crowd."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outages.official.models import Acknowledgement
from outages.official.selectors import lead_time_stats, official_incidents_alone
from outages.official.services.acknowledgements import acknowledgements_record
from outages.official.services.poll import sources_poll
from outages.official.services.sources import source_create
from outages.official.tasks import _summaries_refresh
from tests.factories import (
    AcknowledgementFactory,
    IncidentFactory,
    OfficialIncidentFactory,
    OfficialSourceFactory,
    ServiceFactory,
    ServiceStatusFactory,
)
from tests.official.conftest import StatusServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def github():  # type: ignore[no-untyped-def]
    service = ServiceFactory(slug="github", name="GitHub")
    ServiceStatusFactory(service=service, level=2)
    return service


@pytest.mark.usefixtures("loopback")
def test_lead_time_is_measured_from_the_crowd_incident_start_and_shown_everywhere(
    client, github, status_server: StatusServer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    crowd = IncidentFactory(service=github)  # began 30 minutes ago
    url = status_server.put("summary.json", "statuspage_ok.json")
    source_create(service=github, kind="statuspage", url=url, interval=60)
    with django_capture_on_commit_callbacks(execute=True):
        sources_poll(now=timezone.now(), on_commit=_summaries_refresh)
    official = client.get("/api/v1/services/github").json()["official"]
    assert official["sentence"] == (
        "Users report problems; the company has not acknowledged them yet."
    )

    status_server.put(
        "summary.json",
        "statuspage_incident.json",
        announced=crowd.started_at + timedelta(minutes=12),
    )
    with django_capture_on_commit_callbacks(execute=True):
        sources_poll(now=timezone.now() + timedelta(seconds=60), on_commit=_summaries_refresh)

    ack = Acknowledgement.objects.get(incident=crowd)
    assert ack.lead_seconds == 12 * 60
    official = client.get("/api/v1/services/github").json()["official"]
    assert official["lead_seconds"] == 720
    assert official["sentence"] == (
        "Acknowledged by the company 12 min after users' reports began."
    )
    api = client.get(f"/api/v1/incidents/{crowd.pk}").json()
    assert api["acknowledgement"]["lead_seconds"] == 720
    assert api["acknowledgement"]["title"] == "Disruption with some GitHub services"
    listed = client.get("/api/v1/incidents?service=github").json()["results"][0]
    assert listed["acknowledgement"]["lead_seconds"] == 720
    page = client.get(f"/incidents/{crowd.pk}/").content.decode()
    assert 'data-lead-seconds="720"' in page
    assert "Acknowledged by the company 12 min after users" in page
    service_page = client.get("/s/github/").content.decode()
    assert "the company acknowledged 1 of 1 incident users reported" in service_page
    assert "Median lead time of the crowd: 12 min." in service_page


def test_a_company_that_spoke_first_has_a_negative_lead(github) -> None:  # type: ignore[no-untyped-def]
    crowd = IncidentFactory(service=github)
    OfficialIncidentFactory(
        source=OfficialSourceFactory(service=github),
        announced_at=crowd.started_at - timedelta(minutes=5),
    )
    assert acknowledgements_record(service_ids=[github.id], now=timezone.now()) == {github.id}
    assert Acknowledgement.objects.get().lead_seconds == -300


def test_an_official_incident_long_before_or_of_another_service_acknowledges_nothing(
    github,
) -> None:  # type: ignore[no-untyped-def]
    crowd = IncidentFactory(service=github)
    OfficialIncidentFactory(
        source=OfficialSourceFactory(service=github),
        announced_at=crowd.started_at - timedelta(hours=3),
    )
    OfficialIncidentFactory(
        source=OfficialSourceFactory(service=ServiceFactory()),
        announced_at=crowd.started_at + timedelta(minutes=3),
    )
    assert acknowledgements_record(service_ids=[github.id], now=timezone.now()) == set()


def test_ninety_day_stats_count_acknowledged_incidents_and_the_median_lead(github) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    source = OfficialSourceFactory(service=github)
    for days, lead in ((1, 10), (2, 20), (3, 40), (4, None), (120, 5)):
        crowd = IncidentFactory(
            service=github,
            started_at=now - timedelta(days=days),
            ended_at=now - timedelta(days=days) + timedelta(hours=1),
            status="closed",
        )
        if lead is not None:
            AcknowledgementFactory(
                incident=crowd,
                acknowledged_at=crowd.started_at + timedelta(minutes=lead),
                lead_seconds=lead * 60,
                official_incident=OfficialIncidentFactory(
                    source=source, announced_at=crowd.started_at
                ),
            )
    stats = lead_time_stats(service_id=github.id, now=now)
    assert (stats.incidents, stats.acknowledged, stats.median_lead_seconds) == (4, 3, 1200.0)


def test_official_incidents_with_no_crowd_incident_are_listed_on_the_service_page(
    client, github
) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    source = OfficialSourceFactory(service=github)
    crowd = IncidentFactory(service=github)
    OfficialIncidentFactory(
        source=source,
        title="Beside the crowd",
        announced_at=crowd.started_at + timedelta(minutes=2),
    )
    alone = OfficialIncidentFactory(
        source=source, title="Webhooks delayed", announced_at=now - timedelta(days=3)
    )
    assert official_incidents_alone(service_id=github.id, now=now) == [alone]
    page = client.get("/s/github/").content.decode()
    assert "Webhooks delayed" in page
    assert "Announced by the company without a rise in reports" in page


def test_an_incident_page_says_when_the_company_has_not_acknowledged_it(
    client, github, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    without = IncidentFactory(service=ServiceFactory(slug="gitlab"))
    assert "acknowledge" not in client.get(f"/incidents/{without.pk}/").content.decode()
    crowd = IncidentFactory(service=github)
    OfficialSourceFactory(service=github)
    page = client.get(f"/incidents/{crowd.pk}/").content.decode()
    assert "The company's status page has not acknowledged it yet." in page
    with django_capture_on_commit_callbacks(execute=True):  # the page cache hears of it
        crowd.status, crowd.ended_at = "closed", timezone.now()
        crowd.save()
    page = client.get(f"/incidents/{crowd.pk}/").content.decode()
    assert "The company's status page did not acknowledge it." in page
