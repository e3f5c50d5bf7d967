"""The OpenAPI schema and the server agree where a schema-driven fuzzer found them apart: what
the schema allows is accepted, what the server refuses the schema refuses too.

- a report's `country` may be empty (as if absent: the request's own country);
- an e-mail subscription needs an address (the schema says so per channel), and the API takes
  JSON only, its booleans and levels as JSON types;
- a series takes a platform and a country together (no band: no baseline is kept for that);
- `search` may hold any text but NUL, which the server refuses and the schema excludes.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from outages.detection.timebuckets import floor_to_minute
from outages.models import MinuteBucket
from reports.models import Report
from tests.factories import ServiceFactory
from tests.reports.helpers import post_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(client: Client) -> dict[str, Any]:
    return client.get("/api/schema/", {"format": "json"}).json()  # type: ignore[no-any-return]


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def allows(schema: dict[str, Any], node: dict[str, Any], value: str) -> bool:
    """Whether a string property's schema (enums, oneOf, allOf, pattern) admits value."""
    node = resolve(schema, node)
    if "oneOf" in node:
        return any(allows(schema, n, value) for n in node["oneOf"])
    if "allOf" in node:
        return all(allows(schema, n, value) for n in node["allOf"])
    if "enum" in node and value not in node["enum"]:
        return False
    if len(value) < node.get("minLength", 0) or len(value) > node.get("maxLength", len(value)):
        return False
    return "pattern" not in node or re.search(node["pattern"], value) is not None


def test_a_report_with_an_empty_country_is_counted_with_the_requests_own(
    client: Client, schema: dict[str, Any], database_buffer: None
) -> None:
    ServiceFactory(slug="twitter")
    body = resolve(schema, schema["paths"]["/api/v1/services/{slug}/reports"]["post"][
        "requestBody"]["content"]["application/json"]["schema"])  # fmt: skip
    assert allows(schema, body["properties"]["country"], "")
    assert not allows(schema, body["properties"]["country"], "XX")

    response = post_report(client, "twitter", {"platform": "web", "problem": "login",
                           "country": ""}, HTTP_ACCEPT_LANGUAGE="fr-FR")  # fmt: skip

    assert response.status_code == 202, response.content
    assert Report.objects.get().country == "FR"
    assert post_report(client, "twitter", {"platform": "web", "problem": "login",
                       "country": "XX"}).status_code == 400  # fmt: skip


def test_an_email_subscription_needs_an_address_in_the_schema_as_on_the_server(
    client: Client, schema: dict[str, Any]
) -> None:
    ServiceFactory(slug="twitter")
    operation = schema["paths"]["/api/v1/services/{slug}/subscriptions"]["post"]
    assert operation["requestBody"]["required"] is True
    assert set(operation["requestBody"]["content"]) == {"application/json"}
    request = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    variants = {resolve(schema, v)["properties"]["channel"]["$ref"]: resolve(schema, v)
                for v in request["oneOf"]}  # fmt: skip
    email = next(v for ref, v in variants.items() if "Email" in ref)
    webhook = next(v for ref, v in variants.items() if "Webhook" in ref)
    assert {"channel", "email"} <= set(email["required"])
    assert email["properties"]["email"]["format"] == "email"
    assert {"channel", "url"} <= set(webhook["required"])

    url = "/api/v1/services/twitter/subscriptions"
    for body in ({"channel": "email", "email": ""}, {"channel": "email"},
                 {"channel": "email", "email": "ana@example.com", "daily_digest": 0},
                 {"channel": "email", "email": "ana@example.com", "min_level": "1"}):  # fmt: skip
        refused = client.post(url, body, content_type="application/json")
        assert refused.status_code == 400, body
        assert refused["Content-Type"] == "application/problem+json"
    form = client.post(url, {"channel": "email", "email": "ana@example.com"})  # multipart
    assert form.status_code == 415


def test_a_series_takes_a_platform_and_a_country_together(
    client: Client, schema: dict[str, Any]
) -> None:
    twitter = ServiceFactory(slug="twitter")
    minute = floor_to_minute(timezone.now()) - timedelta(minutes=3)
    for platform, country, count in (("ios", "FR", 2), ("ios", "US", 5), ("web", "FR", 7)):
        MinuteBucket.objects.create(service=twitter, minute=minute, kind="problem",
                                    platform=platform, problem="login", country=country,
                                    count=count)  # fmt: skip
    parameters = schema["paths"]["/api/v1/services/{slug}/series"]["get"]["parameters"]
    assert {"platform", "country"} <= {p["name"] for p in parameters}

    response = client.get("/api/v1/services/twitter/series", {"platform": "ios", "country": "FR"})

    assert response.status_code == 200, response.content
    points = response.json()["points"]
    assert sum(p["reports"] for p in points) == 2
    assert {p["expected"] for p in points} == {None}  # no baseline of its own: no band


def test_search_refuses_nul_and_the_schema_says_so(client: Client, schema: dict[str, Any]) -> None:
    ServiceFactory(slug="twitter", name="Twitter")
    [search] = [p for p in schema["paths"]["/api/v1/services"]["get"]["parameters"]
                if p["name"] == "search"]  # fmt: skip
    assert not allows(schema, search["schema"], "tw\x00")
    assert allows(schema, search["schema"], " ") and allows(schema, search["schema"], "twiter")

    nul = client.get("/api/v1/services", {"search": "tw\x00"})
    assert nul.status_code == 400 and nul.json()["errors"][0]["field"] == "search"
    blank = client.get("/api/v1/services", {"search": " "})
    assert blank.status_code == 200 and blank.json()["results"] == []
    found = client.get("/api/v1/services", {"search": " twiter "})
    assert [s["slug"] for s in found.json()["results"]] == ["twitter"]
