"""The intake answers only for the site's own host names, like every other route: a request
whose Host is not in ALLOWED_HOSTS (DNS rebinding, a stray virtual host) is a 400 and counts
nothing, through the JSON door (a lean route) and the form alike."""

from __future__ import annotations

import uuid

import pytest

from reports.models import Report
from tests.factories import ServiceFactory
from tests.reports.helpers import post_report

pytestmark = pytest.mark.django_db
VALID = {"platform": "web", "problem": "login", "country": "FR"}


@pytest.fixture
def service():  # type: ignore[no-untyped-def]
    return ServiceFactory(slug="twitter", name="Twitter")


def test_the_json_intake_refuses_a_foreign_host_and_counts_nothing(
    client, service, database_buffer
):
    body = {**VALID, "id": str(uuid.uuid4())}

    refused = post_report(client, "twitter", body, HTTP_HOST="evil.example")

    assert refused.status_code == 400
    assert not Report.objects.exists()
    assert post_report(client, "twitter", body).status_code == 202  # its own host: counted
    assert Report.objects.count() == 1


def test_the_report_form_refuses_a_foreign_host_and_counts_nothing(
    client, service, database_buffer
):
    data = {"kind": "problem", "platform": "web", "problem": "login", "country": "FR"}

    refused = client.post("/s/twitter/report/", data, HTTP_HOST="evil.example")

    assert refused.status_code == 400
    assert not Report.objects.exists()
    assert client.post("/s/twitter/report/", data).status_code == 302
    assert Report.objects.count() == 1


def test_a_foreign_host_is_refused_before_the_service_is_looked_up(client, db):
    response = post_report(client, "nope", VALID, HTTP_HOST="evil.example")

    assert response.status_code == 400
