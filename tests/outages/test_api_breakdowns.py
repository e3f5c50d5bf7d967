"""GET /api/v1/services/{slug}/breakdowns: problem reports by platform, problem and country."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from outages.detection.timebuckets import floor_to_minute
from tests.factories import MinuteBucketFactory, ServiceFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/services/twitter/breakdowns"


@pytest.fixture
def twitter():
    service = ServiceFactory(slug="twitter", name="Twitter")
    now = floor_to_minute(timezone.now())
    for ago, kind, platform, problem, country, count in [
        (5, "problem", "web", "login", "US", 6),
        (5, "problem", "ios", "login", "FR", 3),
        (90, "problem", "web", "posting", "", 1),
        (60 * 30, "problem", "android", "loading", "DE", 10),  # 30 hours ago: in 7d only
        (5, "works", "web", "", "US", 50),  # "works for me" is not a problem report
    ]:
        MinuteBucketFactory(
            service=service,
            minute=now - timedelta(minutes=ago),
            kind=kind,
            platform=platform,
            problem=problem,
            country=country,
            count=count,
        )
    return service


def _rows(body: dict, dimension: str) -> list[tuple]:  # type: ignore[type-arg]
    return [(r["key"], r["reports"], r["share"]) for r in body[dimension]]


def test_the_last_day_by_platform_problem_and_country(client, twitter):
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert (body["range"], body["total"]) == ("24h", 10)
    assert _rows(body, "platform") == [("web", 7, 0.7), ("ios", 3, 0.3)]
    assert _rows(body, "problem") == [("login", 9, 0.9), ("posting", 1, 0.1)]
    assert _rows(body, "country") == [("US", 6, 0.6), ("FR", 3, 0.3), (None, 1, 0.1)]
    assert [r["label"] for r in body["country"]] == [
        "United States of America",
        "France",
        "Unknown",
    ]
    assert body["platform"][1]["label"] == "iOS app"


def test_a_longer_range_reaches_further_back(client, twitter):
    body = client.get(URL, {"range": "7d"}).json()
    assert body["total"] == 20
    assert _rows(body, "platform")[0] == ("android", 10, 0.5)


def test_it_is_cacheable_and_agrees_with_the_service_page(client, twitter):
    response = client.get(URL)
    assert "max-age=" in response["Cache-Control"]
    page = client.get("/s/twitter/")
    assert page.status_code == 200
    assert [share[0] for share in page.context["platform_shares"]] == ["web", "ios"]


def test_a_quiet_service_has_empty_breakdowns(client):
    ServiceFactory(slug="quiet")
    body = client.get("/api/v1/services/quiet/breakdowns").json()
    assert body["total"] == 0 and body["platform"] == body["country"] == []


def test_bad_range_and_unknown_service_are_problems(client, twitter):
    bad = client.get(URL, {"range": "1y"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "range"
    missing = client.get("/api/v1/services/nope/breakdowns")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"


def test_the_schema_documents_it(client):
    schema = client.get("/api/schema/", headers={"accept": "application/json"}).json()
    operation = schema["paths"]["/api/v1/services/{slug}/breakdowns"]["get"]
    assert {"200", "400", "404", "429"} <= set(operation["responses"])
    assert "ServiceBreakdownsOutput" in schema["components"]["schemas"]
