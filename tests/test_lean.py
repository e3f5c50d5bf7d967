"""Lean routes (common/lean.py): the report intake crosses LEAN_MIDDLEWARE only, every other
request the site's whole stack, and both still answer with the headers every answer carries."""

from __future__ import annotations

import uuid

import pytest
from django.conf import settings

from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
SEEN: list[str] = []


class Site:
    def __init__(self, get_response):  # type: ignore[no-untyped-def]
        self.get_response = get_response

    def __call__(self, request):  # type: ignore[no-untyped-def]
        SEEN.append(f"{type(self).__name__} {request.method} {request.path}")
        return self.get_response(request)


class Lean(Site):
    pass


@pytest.fixture
def stacks(settings):  # type: ignore[no-untyped-def]
    SEEN.clear()
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.test_lean.Site"]
    settings.LEAN_MIDDLEWARE = [*settings.LEAN_MIDDLEWARE, "tests.test_lean.Lean"]
    return SEEN


def test_the_intake_crosses_the_lean_stack_only(client, stacks, database_buffer):
    ServiceFactory(slug="twitter")
    body = {"id": str(uuid.uuid4()), "platform": "web", "problem": "login", "country": "FR"}

    response = client.post(
        "/api/v1/services/twitter/reports", body, content_type="application/json"
    )

    assert response.status_code == 202
    assert stacks == ["Lean POST /api/v1/services/twitter/reports"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "Cookie" not in response.get("Vary", "")  # no session was touched


def test_the_intake_rejects_through_the_lean_stack_too(client, stacks):
    response = client.post("/api/v1/services/nope/reports", "{", content_type="application/json")

    assert response.status_code in (400, 404)
    assert response["Content-Type"] == "application/problem+json"
    assert stacks == ["Lean POST /api/v1/services/nope/reports"]


def test_every_other_path_crosses_the_site_stack(client, stacks):
    client.get("/api/v1/services")
    client.get("/api/v1/services/twitter/reports/more")

    assert stacks == ["Site GET /api/v1/services", "Site GET /api/v1/services/twitter/reports/more"]


def test_the_lean_stack_is_the_sites_last_headers():
    assert settings.MIDDLEWARE[0] == "common.lean.LeanRouteMiddleware"
    assert set(settings.LEAN_MIDDLEWARE) <= set(settings.MIDDLEWARE)
