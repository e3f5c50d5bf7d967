"""The header matrix over every URL pattern of config.urls (the walk of test_framing): a
Content-Security-Policy with local scripts only, nosniff and a Referrer-Policy on every answer,
and CORS `*` without credentials exactly on the public reads (never on the report intake, a
page or the admin)."""

from __future__ import annotations

import pytest

from tests.factories import ServiceFactory
from tests.outages.test_framing import PATTERNS

pytestmark = pytest.mark.django_db

PUBLIC_READS = {
    "api_services",
    "api_categories",
    "api_service_status",
    "api_service_series",
    "api_incidents",
    "api_incident_detail",
    "api_schema",
    "badge_svg",
    "badge_json",
    "widget_js",
    "embed_page",
    "service_feed_atom",
    "service_feed_rss",
    "incidents_feed_atom",
    "incidents_feed_rss",
    "service_series_csv",
    "service_series_json",
    "service_live",
    "api_service_breakdowns",
}
ORIGIN = "https://elsewhere.example"


def directives(policy: str) -> dict[str, str]:
    parts = (part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts}


def test_every_public_read_is_a_route():
    assert PUBLIC_READS <= {name for name, _ in PATTERNS}


@pytest.mark.parametrize(("name", "path"), PATTERNS, ids=[f"{n}:{p}" for n, p in PATTERNS])
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_answer_carries_the_security_headers(client, name, path, method, database_buffer):
    ServiceFactory(slug="twitter", name="Twitter")

    response = getattr(client, method)(path, HTTP_ORIGIN=ORIGIN)

    where = f"{method.upper()} {path} ({name}) answered {response.status_code}"
    policy = directives(response.get("Content-Security-Policy", ""))
    assert policy, where
    if "default-src" in policy and policy["default-src"] == "'none'":  # the badge SVG
        assert "script-src" not in policy, where
    else:
        assert policy["script-src"] == "'self'", where
        assert "'unsafe-inline'" not in policy["script-src"] and "unsafe-eval" not in str(policy)
        assert policy["object-src"] == "'none'" and policy["base-uri"] == "'none'", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert "Access-Control-Allow-Credentials" not in response, where
    if name in PUBLIC_READS:  # (a POST there is a 405, readable: it tells nothing)
        assert response.get("Access-Control-Allow-Origin") == "*", where
    else:
        assert "Access-Control-Allow-Origin" not in response, where


def test_the_report_intake_answers_no_cors_preflight(client):
    ServiceFactory(slug="twitter")

    response = client.options(
        "/api/v1/services/twitter/reports",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Methods" not in response


def test_a_public_read_answers_a_preflight_for_get_only(client):
    response = client.options(
        "/api/v1/services", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "POST" not in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_the_api_docs_load_swagger_ui_from_our_own_files_with_no_inline_script(client):
    page = client.get("/api/docs/").content.decode()
    script = client.get("/api/docs/?script=")

    assert "<script>" not in page and "cdn" not in page.lower()
    assert '<script src="/api/docs/?script="></script>' in page
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
