"""The region page: what is down in one country, ranked against what it usually sends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outages import selectors
from outages.detection.timebuckets import floor_to_minute
from outages.models import ServiceStatus
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    SeriesBaselineFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

pytestmark = pytest.mark.django_db


def _bucket(service, *, minutes_ago=1, country="FR", count=1, kind="problem", platform="web"):
    MinuteBucketFactory(
        service=service,
        kind=kind,
        platform=platform,
        country=country,
        count=count,
        problem="login" if kind == "problem" else "",
        minute=floor_to_minute(timezone.now()) - timedelta(minutes=minutes_ago),
    )


def _status(service, *, expected, level=0):
    ServiceStatusFactory(service=service, expected=expected, level=level)


def _share(service, *, country, share):
    SeriesBaselineFactory(service=service, dimension="country", value=country, share=share)


def _incident(service, *, countries=(), status="open", visibility="public", ago=30, **fields):
    now = timezone.now()
    return IncidentFactory(
        service=service,
        status=status,
        visibility=visibility,
        started_at=now - timedelta(minutes=ago),
        detected_at=now - timedelta(minutes=28),
        peak_at=now - timedelta(minutes=10),
        countries=[{"country": c, "count": 9, "expected": 1.0, "ratio": 9.0} for c in countries],
        scope="",
        **fields,
    )


@pytest.fixture
def big():
    """Usually sends 100 problem reports per 15 minutes, half of them from France."""
    service = ServiceFactory(slug="big", name="Big")
    _status(service, expected=100.0)
    _share(service, country="FR", share=0.5)
    return service


@pytest.fixture
def small():
    """Usually 10 per 15 minutes, France too small to have a baseline of its own."""
    service = ServiceFactory(slug="small", name="Small")
    _status(service, expected=10.0)
    return service


def test_services_are_ranked_by_the_country_s_reports_against_its_usual_share(big, small):
    _bucket(big, count=60)  # 60 against 50 usual: ordinary
    _bucket(small, count=20)  # 20 against 10 x the prior share: an outage there

    rows = selectors.region_ranking(country="FR", now=timezone.now())

    assert [row.service.slug for row in rows] == ["small", "big"]
    assert rows[0].expected == pytest.approx(10.0 * selectors.COUNTRY_PRIOR_SHARE)
    assert rows[0].share == selectors.COUNTRY_PRIOR_SHARE
    assert (rows[1].count, rows[1].expected, rows[1].share) == (60, 50.0, 0.5)
    assert rows[1].ratio == pytest.approx(1.2)


def test_only_the_country_s_problem_reports_of_the_last_15_minutes_count(big):
    _bucket(big, count=7)
    _bucket(big, count=5, platform="ios", minutes_ago=14)
    _bucket(big, count=100, country="US")
    _bucket(big, count=100, minutes_ago=16)
    _bucket(big, count=100, kind="works")

    (row,) = selectors.region_ranking(country="FR", now=timezone.now())

    assert row.count == 12


def test_a_service_with_an_incident_ranks_first_and_one_without_status_is_listed(big, small):
    _bucket(small, count=50)
    _bucket(big, count=3)
    ServiceStatus.objects.filter(service=big).update(level=1)
    new = ServiceFactory(slug="new", name="New")  # no status yet: nothing expected
    _bucket(new, count=2)

    rows = selectors.region_ranking(country="FR", now=timezone.now())

    assert [row.service.slug for row in rows] == ["big", "small", "new"]
    assert rows[2].expected == 0.0 and rows[2].level == 0


def test_the_page_lists_services_and_the_open_incidents_that_include_the_country(
    client, big, small
):
    _bucket(small, count=20)
    _incident(big, countries=["US", "FR"])
    _incident(small, dimension="country", value="FR")
    other = ServiceFactory(slug="other", name="Other")
    _incident(other, countries=["US"])
    _incident(other, countries=["FR"], status="closed", ago=40)
    _incident(other, countries=["FR"], visibility="suspicious", ago=50)

    response = client.get("/region/FR/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "What is down in France?" in page
    assert 'href="/s/small/"' in page  # ranked, with reports
    open_here = selectors.incidents_open_in_country(country="FR")
    assert {incident.service.slug for incident in open_here} == {"big", "small"}
    incidents = page.split('id="region-incidents"')[1].split('id="region-services"')[0]
    assert "Big" in incidents and "Small" in incidents and "Other" not in incidents


def test_a_quiet_country_says_so(client):
    page = client.get("/region/fr/").content.decode()  # lower case is accepted
    assert "No problem reports from France in the last 15 minutes." in page
    assert "No open incident includes France." in page


@pytest.mark.parametrize("code", ["XX", "FRA", "1", "??"])
def test_an_unknown_country_is_404(client, code):
    assert client.get(f"/region/{code}/").status_code == 404


@pytest.mark.parametrize("services", [3, 40])
def test_the_region_page_s_queries_do_not_grow_with_services(
    client, django_assert_max_num_queries, services
):
    for i in range(services):
        service = ServiceFactory(slug=f"s-{i}")
        _status(service, expected=float(i))
        if i % 2:
            _share(service, country="FR", share=0.1)
        _bucket(service, count=i + 1)
        _incident(service, countries=["FR"])
    # The ranking takes 4 whatever the number of services; the chart of the country's three
    # most reported services 3 more each (two bucket sums and a baseline).
    with django_assert_max_num_queries(4 + 3 * 3):
        response = client.get("/region/FR/")
    assert response.status_code == 200
    assert response.content.decode().count('href="/s/s-') >= services


def test_the_service_page_s_country_table_links_to_region_pages(client, big):
    _bucket(big, count=4, country="DE")
    _bucket(big, count=2, country="")

    page = client.get("/s/big/").content.decode()

    assert '<a href="/region/DE/">Germany</a>' in page
    assert "/region/??/" not in page
