"""Public API v1, read side: services, status, series, incidents; errors as problem details."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.request import Request

from common.throttles import HashedAnonThrottle
from outages.detection.timebuckets import floor_to_minute
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter", category="social")


def _incident(service, **fields):  # type: ignore[no-untyped-def]
    now = floor_to_minute(timezone.now())
    values = {
        "service": service,
        "level": 2,
        "started_at": now - timedelta(minutes=30),
        "detected_at": now - timedelta(minutes=28),
        "peak_at": now - timedelta(minutes=9),
        "visibility": "public",
        "scope": "international",
    }
    values.update(fields)
    return IncidentFactory(**values)


def test_services_are_listed_with_a_cursor(client):
    for i in range(5):
        ServiceFactory(slug=f"svc-{i}")
    first = client.get("/api/v1/services", {"limit": 2}).json()
    assert [s["slug"] for s in first["results"]] == ["svc-0", "svc-1"]
    second = client.get(first["next"]).json()
    assert [s["slug"] for s in second["results"]] == ["svc-2", "svc-3"]


def test_services_can_be_searched_and_filtered(client, twitter):
    ServiceFactory(slug="bank", name="Bank", category="finance")
    assert [
        s["slug"] for s in client.get("/api/v1/services", {"search": "twiter"}).json()["results"]
    ] == ["twitter"]
    assert [
        s["slug"] for s in client.get("/api/v1/services", {"category": "finance"}).json()["results"]
    ] == ["bank"]


def test_a_bad_filter_is_a_problem_naming_the_field(client):
    response = client.get("/api/v1/services", {"category": "nope"})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "category"


def test_a_service_status(client, twitter):
    ServiceStatusFactory(service=twitter, level=2, recent=90, expected=4.0, deviation=20.0)
    body = client.get("/api/v1/services/twitter").json()
    assert body["status"]["status"] == "problems"
    assert body["status"]["reports_15min"] == 90


def test_an_unknown_service_is_a_404_problem(client):
    response = client.get("/api/v1/services/nope")
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_the_series_is_zero_filled_with_the_last_interval_partial(client, twitter):
    minute = floor_to_minute(timezone.now()) - timedelta(minutes=3)
    MinuteBucketFactory(service=twitter, minute=minute, count=7)
    body = client.get("/api/v1/services/twitter/series").json()
    points = body["points"]
    assert len(points) == 24 * 60 and body["resolution_seconds"] == 60
    assert sum(p["reports"] for p in points) == 7
    assert [p["partial"] for p in points[-2:]] == [False, True]
    assert all(p["upper"] >= p["expected"] >= p["lower"] >= 0 for p in points)
    week = client.get("/api/v1/services/twitter/series", {"range": "7d"}).json()
    assert week["resolution_seconds"] == 900
    assert client.get("/api/v1/services/twitter/series", {"range": "1y"}).status_code == 400


def test_incidents_list_only_public_ones_and_filter(client, twitter):
    public = _incident(twitter)
    _incident(twitter, visibility="suspicious", started_at=public.started_at + timedelta(1))
    other = _incident(ServiceFactory(slug="other"))
    listed = client.get("/api/v1/incidents").json()["results"]
    assert {i["id"] for i in listed} == {public.id, other.id}
    only = client.get("/api/v1/incidents", {"service": "twitter"}).json()["results"]
    assert [i["id"] for i in only] == [public.id]
    assert client.get(f"/api/v1/incidents/{public.id}").json()["scope"] == "international"


def test_a_suspicious_incident_is_not_served(client, twitter):
    hidden = _incident(twitter, visibility="suspicious")
    assert client.get(f"/api/v1/incidents/{hidden.id}").status_code == 404


def test_the_schema_documents_the_read_api(client):
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/services", "/api/v1/services/{slug}/series", "/api/v1/incidents/{id}"):
        assert path in schema


def test_the_throttle_never_keys_on_the_raw_address():
    request = Request(RequestFactory().get("/", REMOTE_ADDR="203.0.113.7"))
    ident = HashedAnonThrottle().get_ident(request)
    assert "203.0.113" not in ident and len(ident) == 32


def test_interactive_docs_are_served_from_our_own_static_files(client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/") for s in sources), sources


def test_public_reads_allow_any_origin_without_credentials(client, twitter):
    response = client.get("/api/v1/services", HTTP_ORIGIN="https://news.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    page = client.get("/s/twitter/", HTTP_ORIGIN="https://news.example")
    assert "Access-Control-Allow-Origin" not in page


def test_the_report_intake_is_not_open_to_other_sites_browsers(client, twitter):
    preflight = client.options(
        "/api/v1/services/twitter/reports",
        HTTP_ORIGIN="https://evil.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    assert "Access-Control-Allow-Origin" not in preflight


def test_the_series_narrows_to_a_platform_country_or_problem(client, twitter):
    minute = floor_to_minute(timezone.now()) - timedelta(minutes=3)
    for platform, country, problem, count in (
        ("web", "US", "login", 7),
        ("ios", "FR", "posting", 2),
        ("ios", "US", "login", 5),
    ):
        MinuteBucketFactory(
            service=twitter,
            minute=minute,
            platform=platform,
            problem=problem,
            country=country,
            count=count,
        )

    def total(**query):  # type: ignore[no-untyped-def]
        body = client.get("/api/v1/services/twitter/series", query).json()
        return sum(p["reports"] for p in body["points"]), body["points"][0]["expected"]

    assert total(platform="ios")[0] == 7
    assert total(country="US")[0] == 12
    reports, expected = total(problem="posting")
    assert (reports, expected) == (2, None)  # no baseline for a problem type
    assert total(platform="ios", country="FR") == (2, None)  # nor for a platform in a country
    assert total(platform="ios", country="US", problem="login") == (5, None)
    assert client.get("/api/v1/services/twitter/series", {"country": "ZZ"}).status_code == 400


def test_public_reads_are_cacheable_and_answer_304_when_unchanged(client, twitter):
    first = client.get("/api/v1/services/twitter")
    assert first["Cache-Control"] == "public, max-age=30, stale-while-revalidate=60"
    again = client.get("/api/v1/services/twitter", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
