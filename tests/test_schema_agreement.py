"""The OpenAPI schema and the server agree where a schema-driven fuzzer found them apart: what
the schema allows is accepted, what the server refuses the schema refuses too.

- a report's `country` may be empty (as if absent: the request's own country);
- an e-mail subscription needs an address (the schema says so per channel), and the API takes
  JSON only, its booleans and levels as JSON types;
- a series takes a platform and a country together (no band: no baseline is kept for that);
- `search` may hold any text but NUL, which the server refuses and the schema excludes;
- a report's body is one of two shapes by kind (a problem report needs its problem, a "works"
  one has none), takes no other field, and reads an optional null as absent;
- a report's subdivision has the ISO 3166-2 shape in the schema, which also says (as no schema
  can check) that one of another country is a 400 naming `subdivision`;
- a webhook URL's shape (scheme, host spelling, port, no credentials) is in the schema, on
  create and on change; whether its host resolves to public addresses is said, and is a 400
  naming `url`; a change is JSON only and takes no field it cannot change.

Over 300 lines: one test per place the served schema and the server once disagreed.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from alerts.tasks import confirmation_enqueue
from outages.detection.timebuckets import floor_to_minute
from reports.models import Report
from tests.factories import MinuteBucketFactory, ServiceFactory
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


def report_variants(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report request's body schemas, by the kind each takes."""
    operation = schema["paths"]["/api/v1/services/{slug}/reports"]["post"]
    body = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    variants = [resolve(schema, v) for v in body["oneOf"]]
    return {enum_of(schema, v["properties"]["kind"])[0]: v for v in variants}


def enum_of(schema: dict[str, Any], node: dict[str, Any]) -> list[Any]:
    """The values an enum property takes, through its oneOf/allOf wrappings (null aside)."""
    node = resolve(schema, node)
    if "enum" in node:
        return [v for v in node["enum"] if v is not None]
    return [v for n in node.get("oneOf", node.get("allOf", [])) for v in enum_of(schema, n)]


def test_a_report_with_an_empty_country_is_counted_with_the_requests_own(
    client: Client, schema: dict[str, Any], database_buffer: None
) -> None:
    ServiceFactory(slug="twitter")
    for body in report_variants(schema).values():
        assert allows(schema, body["properties"]["country"], "")
        assert not allows(schema, body["properties"]["country"], "XX")

    response = post_report(
        client,
        "twitter",
        {"platform": "web", "problem": "login", "country": ""},
        HTTP_ACCEPT_LANGUAGE="fr-FR",
    )

    assert response.status_code == 202, response.content
    assert Report.objects.get().country == "FR"
    assert (
        post_report(
            client, "twitter", {"platform": "web", "problem": "login", "country": "XX"}
        ).status_code
        == 400
    )


def test_an_email_subscription_needs_an_address_in_the_schema_as_on_the_server(
    client: Client, schema: dict[str, Any]
) -> None:
    ServiceFactory(slug="twitter")
    operation = schema["paths"]["/api/v1/services/{slug}/subscriptions"]["post"]
    assert operation["requestBody"]["required"] is True
    assert set(operation["requestBody"]["content"]) == {"application/json"}
    request = resolve(schema, operation["requestBody"]["content"]["application/json"]["schema"])
    variants = {
        resolve(schema, v)["properties"]["channel"]["$ref"]: resolve(schema, v)
        for v in request["oneOf"]
    }
    email = next(v for ref, v in variants.items() if "Email" in ref)
    webhook = next(v for ref, v in variants.items() if "Webhook" in ref)
    assert {"channel", "email"} <= set(email["required"])
    assert email["properties"]["email"]["format"] == "email"
    assert {"channel", "url"} <= set(webhook["required"])

    url = "/api/v1/services/twitter/subscriptions"
    for body in (
        {"channel": "email", "email": ""},
        {"channel": "email"},
        {"channel": "email", "email": "ana@example.com", "daily_digest": 0},
        {"channel": "email", "email": "ana@example.com", "min_level": "1"},
    ):
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
        MinuteBucketFactory(
            service=twitter, minute=minute, platform=platform, country=country, count=count
        )
    parameters = schema["paths"]["/api/v1/services/{slug}/series"]["get"]["parameters"]
    assert {"platform", "country"} <= {p["name"] for p in parameters}

    response = client.get("/api/v1/services/twitter/series", {"platform": "ios", "country": "FR"})

    assert response.status_code == 200, response.content
    points = response.json()["points"]
    assert sum(p["reports"] for p in points) == 2
    assert {p["expected"] for p in points} == {None}  # no baseline of its own: no band


def test_search_refuses_nul_and_the_schema_says_so(client: Client, schema: dict[str, Any]) -> None:
    ServiceFactory(slug="twitter", name="Twitter")
    [search] = [
        p for p in schema["paths"]["/api/v1/services"]["get"]["parameters"] if p["name"] == "search"
    ]
    assert not allows(schema, search["schema"], "tw\x00")
    assert allows(schema, search["schema"], " ") and allows(schema, search["schema"], "twiter")

    nul = client.get("/api/v1/services", {"search": "tw\x00"})
    assert nul.status_code == 400 and nul.json()["errors"][0]["field"] == "search"
    blank = client.get("/api/v1/services", {"search": " "})
    assert blank.status_code == 200 and blank.json()["results"] == []
    found = client.get("/api/v1/services", {"search": " twiter "})
    assert [s["slug"] for s in found.json()["results"]] == ["twitter"]


def test_the_schema_says_a_problem_report_needs_its_problem_and_a_works_one_has_none(
    client: Client, schema: dict[str, Any], database_buffer: None
) -> None:
    ServiceFactory(slug="twitter")
    variants = report_variants(schema)
    assert set(variants) == {"problem", "works"}
    problem, works = variants["problem"], variants["works"]
    assert set(problem["required"]) == {"platform", "problem"}  # kind may be left out
    assert set(works["required"]) == {"platform", "kind"}
    assert works["properties"]["problem"]["maxLength"] == 0
    assert problem["additionalProperties"] is False and works["additionalProperties"] is False

    assert post_report(client, "twitter", {"platform": "web"}).status_code == 400
    assert (
        post_report(
            client, "twitter", {"kind": "works", "platform": "web", "problem": "login"}
        ).status_code
        == 400
    )
    assert (
        post_report(
            client, "twitter", {"platform": "web", "problem": "login", "extra": 1}
        ).status_code
        == 400
    )
    for body in (
        {"kind": "works", "platform": "web"},
        {"kind": "works", "platform": "web", "problem": ""},
        {
            "platform": "web",
            "problem": "login",
            "kind": None,
            "country": None,
            "subdivision": None,
            "id": None,
        },
    ):
        assert post_report(client, "twitter", body).status_code == 202, body


def test_a_subdivision_of_another_country_is_a_400_the_schema_documents(
    client: Client, schema: dict[str, Any], database_buffer: None
) -> None:
    ServiceFactory(slug="twitter")
    operation = schema["paths"]["/api/v1/services/{slug}/reports"]["post"]
    for body in report_variants(schema).values():
        subdivision = body["properties"]["subdivision"]
        assert allows(schema, subdivision, "FR-IDF") and allows(schema, subdivision, "")
        assert not allows(schema, subdivision, "Ile-de-France")
        assert "`subdivision`" in subdivision["description"]
    assert "subdivision" in operation["responses"]["400"]["description"]

    refused = post_report(
        client,
        "twitter",
        {"platform": "web", "problem": "login", "country": "US", "subdivision": "FR-IDF"},
    )
    assert refused.status_code == 400
    assert [e["field"] for e in refused.json()["errors"]] == ["subdivision"]
    assert (
        post_report(
            client,
            "twitter",
            {"platform": "web", "problem": "login", "country": "FR", "subdivision": "fr-idf"},
        ).status_code
        == 202
    )


@pytest.mark.parametrize("https_only", [False, True])
def test_a_webhook_urls_shape_is_in_the_schema_on_create_and_on_change(
    client: Client, settings: Any, https_only: bool
) -> None:
    from alerts.apis import webhook_url_pattern

    settings.ALERTS_HTTPS_ONLY = https_only
    pattern = webhook_url_pattern()
    for url in ("https://hooks.example.com/in?x=1", "https://203.0.113.9:8443/"):
        assert re.search(pattern, url), url
    refused = [
        "status-version:",
        "ftp://example.com/",
        "https://user:pw@example.com/",
        "https://0x7f.1/",
        "https://2130706433/",
        "https://example.com:65536/",
    ]
    for url in refused:
        assert not re.search(pattern, url), url
    assert bool(re.search(pattern, "http://hooks.example.com/")) is not https_only


def test_the_served_schema_gives_webhook_urls_their_shape_and_documents_the_host_check(
    client: Client, schema: dict[str, Any]
) -> None:
    from alerts.apis import webhook_url_pattern

    create = schema["paths"]["/api/v1/services/{slug}/subscriptions"]["post"]["requestBody"]
    request = resolve(schema, create["content"]["application/json"]["schema"])
    [webhook] = [
        resolve(schema, v) for v in request["oneOf"] if "url" in resolve(schema, v)["properties"]
    ]
    change = schema["paths"]["/api/v1/subscriptions/{id}"]["patch"]["requestBody"]
    assert set(change["content"]) == {"application/json"}
    patched = resolve(schema, change["content"]["application/json"]["schema"])
    assert patched["additionalProperties"] is False
    for url in (webhook["properties"]["url"], patched["properties"]["url"]):
        assert url["pattern"] == webhook_url_pattern()
        assert "`url`" in url["description"]


@pytest.mark.django_db
def test_a_subscription_change_is_json_and_refuses_a_url_of_another_shape(
    client: Client,
) -> None:
    from alerts.services.subscriptions import subscription_create

    service = ServiceFactory(slug="twitter")
    created = subscription_create(
        service=service,
        channel="email",
        email="ana@example.com",
        confirmation_enqueue=confirmation_enqueue,
    )
    url = f"/api/v1/subscriptions/{created.subscription.pk}"
    auth = {"HTTP_AUTHORIZATION": f"Bearer {created.token}"}

    form = client.patch(
        url, "min_level=2", content_type="application/x-www-form-urlencoded", **auth
    )
    assert form.status_code == 415
    shape = client.patch(url, {"url": "status-version:"}, content_type="application/json", **auth)
    assert shape.status_code == 400 and shape.json()["errors"][0]["field"] == "url"
    lower = client.patch(url, {"country": "fr"}, content_type="application/json", **auth)
    assert lower.status_code == 200 and lower.json()["country"] == "FR"
