"""The public API against its own served OpenAPI schema.

Schemathesis generates requests (valid and invalid) for every operation of /api/schema/ and
sends them in process, with all of its checks: no 5xx, every response conforms to the schema
(status, content type, headers, body), schema-valid data is accepted and invalid data refused,
and every error is problem details whose `status` is the HTTP status. The generated requests
mostly name things that exist (a service, an incident, a subscription and its token), so the
operations are exercised past their 404 and 401. Rate limits stay on: a 429 is a documented
answer like any other.

CONTRACT_EXAMPLES sets the examples per operation (20 by default, for CI time; the bar is
measured with 30 or more); CONTRACT_RANDOM=1 draws new examples instead of the fixed ones.
The schema itself passes openapi-spec-validator.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import positive_data_acceptance

from alerts.models import Subscription
from alerts.services.subscriptions import token_hash
from common.throttles import HashedAnonThrottle
from outages.detection.timebuckets import floor_to_minute
from partners.services import apikey_create
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    ServiceFactory,
    ServiceStatusFactory,
    SubscriptionFactory,
)

PROBLEM = "application/problem+json"
SLUG = "twitter"
INCIDENT_ID = 7_000_001  # far above what the sequences hand out in a test
SUBSCRIPTION_ID = 7_000_002
TOKEN = "alt_contract-test-management-token"
# Every generated request names a service that exists, an incident, a subscription and its
# management token, so the operations run past their 404 and 401 in every phase (unknown ids,
# slugs and tokens have tests of their own).
CONFIG = SchemathesisConfig.from_dict(
    {
        "parameters": {"path.slug": SLUG},
        "operations": [
            {"include-path-regex": "^/api/v1/incidents/", "parameters": {"path.id": INCIDENT_ID}},
            {
                "include-path-regex": "^/api/v1/subscriptions/",
                "parameters": {
                    "path.id": SUBSCRIPTION_ID,
                    "header.Authorization": f"Bearer {TOKEN}",
                },
            },
        ],
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/schema/?format=json", get_wsgi_application(), config=CONFIG
)
# Refusals of schema-valid data that no schema can express, each documented on its field and
# in its operation's 400: a subdivision of another country than the report's, a problem type of
# another category than the service's (the schema lists every category's), a webhook host
# that does not resolve to public addresses only (this machine resolves no outside name), a
# chat URL without its target's shape.
DOCUMENTED_REFUSALS = {
    "subdivision": re.compile(r"^must be an ISO 3166-2 code of the country"),
    "problem": re.compile(r"one of the problem types of a '\w+' service"),
    "url": re.compile(r"^Refused: .*(does not resolve|resolves to)|^An? (Telegram|ntfy) URL"),
}


def problem_details(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error response is RFC 9457 problem details with the right status."""
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    assert content_type.split(";")[0] == PROBLEM, (response.status_code, content_type)
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["type"].startswith("urn:problem:") and body["title"] and body["detail"], body
    return True


def positive_data_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis' positive_data_acceptance, but for a 400 that names only refusals the
    schema documents and cannot express (DOCUMENTED_REFUSALS)."""
    if response.status_code == 400:
        errors = response.json().get("errors") or [{}]
        if all(
            e.get("field") in DOCUMENTED_REFUSALS
            and DOCUMENTED_REFUSALS[e["field"]].search(e.get("reason", ""))
            for e in errors
        ):
            return True
    return positive_data_acceptance(ctx, response, case)


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, db: None) -> Iterator[None]:
    """One service with reports, a status and an incident; no throttling in the way."""
    monkeypatch.setattr(HashedAnonThrottle, "THROTTLE_RATES", {"anon": "100000/min"})
    # The WSGI handler closes the connection after each request (outside the test's
    # transaction, on PostgreSQL); Django's test client unhooks this the same way.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    service = ServiceFactory(slug=SLUG, name="Twitter", category="social")
    ServiceFactory(slug="bank", name="Bank", category="finance")
    now = floor_to_minute(timezone.now())
    for ago, platform, country in [(3, "web", "US"), (20, "ios", ""), (200, "android", "FR")]:
        MinuteBucketFactory(
            service=service,
            minute=now - timedelta(minutes=ago),
            platform=platform,
            country=country,
            count=4,
        )
    ServiceStatusFactory(
        service=service, minute=now, level=2, recent=12, expected=1.5, deviation=8.0
    )
    IncidentFactory(service=service, id=INCIDENT_ID)
    SubscriptionFactory(
        id=SUBSCRIPTION_ID,
        service=service,
        channel=Subscription.Channel.WEBHOOK,
        url="https://hooks.example.com/outages",
        secret="whsec_" + "A" * 43,
        token_hash=token_hash(TOKEN),
        state=Subscription.State.ACTIVE,
    )
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
# The same examples on every run (a failure always reproduces); health checks off, as they
# time the generator on a machine that may be busy.
@settings(
    max_examples=int(os.environ.get("CONTRACT_EXAMPLES", "20")),
    deadline=None,
    database=None,
    derandomize=not os.environ.get("CONTRACT_RANDOM"),
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_contract(case: Any, world: None) -> None:
    case.call_and_validate(
        additional_checks=[positive_data_accepted, problem_details],
        excluded_checks=[positive_data_acceptance],
    )


def test_the_served_schema_is_valid_openapi(client: Client) -> None:
    served = client.get("/api/schema/", {"format": "json"}).json()
    validate(served)
    assert served["openapi"].startswith("3.")


@pytest.mark.django_db
def test_a_partner_key_keeps_the_contract_too(client: Client) -> None:
    """The generated requests are anonymous; a keyed request answers the same shapes."""
    ServiceFactory(slug=SLUG)
    _, raw = apikey_create(name="Partner", contact_email="p@example.com")
    keyed = client.get(f"/api/v1/services/{SLUG}", headers={"authorization": f"Bearer {raw}"})
    anonymous = client.get(f"/api/v1/services/{SLUG}")
    assert keyed.status_code == anonymous.status_code == 200
    assert keyed.json() == anonymous.json()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/services?platfrom=web", "platfrom"),  # a typo is not silently ignored
        ("/api/v1/incidents?status=", "status"),  # nor is an empty value
        ("/api/v1/services?limit=0", "limit"),
        ("/api/v1/services?limit=abc", "limit"),
        ("/api/v1/services?limit=201", "limit"),
        ("/api/v1/services?search=tw&limit=-1", "limit"),
        ("/api/v1/services/twitter?cursor=x", "cursor"),  # not a list: no cursor
    ],
)
def test_a_bad_query_parameter_is_a_400_naming_it(client: Client, url: str, field: str) -> None:
    ServiceFactory(slug=SLUG)
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_an_api_url_that_matches_no_route_is_a_problem_and_a_page_stays_a_page(
    client: Client,
) -> None:
    api = client.get("/api/v1/services/not%20a%20slug")
    assert api.status_code == 404 and api["Content-Type"] == PROBLEM
    assert api.json()["status"] == 404
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_the_report_intake_says_which_method_it_allows(client: Client) -> None:
    response = client.get(f"/api/v1/services/{SLUG}/reports")
    assert response.status_code == 405 and response["Allow"] == "POST"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "status"),
    [("text/html,application/xhtml+xml,*/*;q=0.8", 200), ("text/html", 406), ("image/png", 406)],
)
def test_the_api_answers_json_or_a_406_problem_never_an_html_page(
    client: Client, accept: str, status: int
) -> None:
    ServiceFactory(slug=SLUG)
    response = client.get(f"/api/v1/services/{SLUG}", headers={"accept": accept})
    assert response.status_code == status
    assert response["Content-Type"] == ("application/json" if status == 200 else PROBLEM)
    missing = client.get("/api/v1/services/nope", headers={"accept": accept})
    assert missing["Content-Type"] == PROBLEM
    assert missing.json()["status"] in (404, 406)
