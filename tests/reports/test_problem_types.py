"""Problem types per category: a cloud service is asked about its API, console and DNS, a bank
about login, payments and its card. Intake takes only the service's own types, through every
door (JSON API, HTML form, widget), and names the allowed ones when it refuses; the pages show
the category's buttons and the three most reported types."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outages.detection.timebuckets import floor_to_minute
from outages.models import MinuteBucket
from outages.vocabulary import PROBLEMS_BY_CATEGORY, Category
from reports.models import Report
from tests.factories import MinuteBucketFactory, ServiceFactory
from tests.reports.helpers import post_report

pytestmark = pytest.mark.django_db

CLOUD_TYPES = ["api", "console", "dns", "hosting", "deployments", "login", "other"]


@pytest.fixture
def cloud():
    return ServiceFactory(slug="cloudflare", name="Cloudflare", category=Category.CLOUD)


@pytest.fixture
def bank():
    return ServiceFactory(slug="paypal", name="PayPal", category=Category.FINANCE)


def test_every_category_has_its_own_list_ending_with_other():
    assert set(PROBLEMS_BY_CATEGORY) == set(Category.values)
    for problems in PROBLEMS_BY_CATEGORY.values():
        assert problems[-1] == "other" and len(set(problems)) == len(problems)
    assert PROBLEMS_BY_CATEGORY[Category.CLOUD] != PROBLEMS_BY_CATEGORY[Category.FINANCE]


def test_a_cloud_service_takes_a_dns_report_and_stores_its_type(client, cloud, intake_buffer):
    response = post_report(client, "cloudflare", {"platform": "web", "problem": "dns"})
    intake_buffer()

    assert response.status_code == 202
    assert Report.objects.get().problem == "dns"
    assert MinuteBucket.objects.get().problem == "dns"


def test_a_type_of_another_category_is_refused_naming_the_field_and_the_allowed_values(
    client, cloud, intake_buffer
):
    response = post_report(client, "cloudflare", {"platform": "web", "problem": "payments"})
    intake_buffer()

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "urn:problem:invalid_field"
    [error] = body["errors"]
    assert error["field"] == "problem"
    assert "'cloud'" in error["reason"] and str(CLOUD_TYPES) in error["reason"]
    assert not Report.objects.exists() and not MinuteBucket.objects.exists()


@pytest.mark.parametrize(
    ("problem", "status"), [("card", 202), ("payments", 202), ("dns", 400), ("posting", 400)]
)
def test_a_bank_takes_its_own_types_only(client, bank, database_buffer, problem, status):
    response = post_report(client, "paypal", {"platform": "web", "problem": problem})

    assert response.status_code == status
    assert Report.objects.filter(problem=problem).exists() == (status == 202)


def test_a_works_report_needs_no_type_in_any_category(client, cloud, database_buffer):
    response = post_report(client, "cloudflare", {"kind": "works", "platform": "web"})

    assert response.status_code == 202


def test_the_html_form_refuses_a_type_of_another_category_and_keeps_its_buttons(
    client, bank, database_buffer
):
    response = client.post("/s/paypal/report/", {"problem": "dns", "platform": "web"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "problem:" in page and "card" in page
    assert not Report.objects.exists()


def test_the_widget_refuses_a_type_of_another_category(client, cloud, database_buffer):
    grant = client.post("/embed/cloudflare/token", "{}", content_type="application/json")
    body = {"token": grant.json()["token"], "platform": "web", "problem": "card"}

    response = client.post("/embed/cloudflare/report", json.dumps(body), "application/json")

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["problem"]
    assert not Report.objects.exists()


def _problem_buttons(page: str) -> list[str]:
    return re.findall(r'<button type="submit" name="problem" value="([a-z]+)"', page)


def test_the_service_page_offers_a_cloud_service_its_buttons_and_a_bank_its_own(
    client, cloud, bank
):
    cloud_page = client.get("/s/cloudflare/").content.decode()
    bank_page = client.get("/s/paypal/").content.decode()

    assert _problem_buttons(cloud_page) == CLOUD_TYPES
    assert ">DNS</button>" in cloud_page and ">Console / dashboard</button>" in cloud_page
    assert _problem_buttons(bank_page) == [
        "login",
        "payments",
        "card",
        "transfers",
        "app",
        "website",
        "other",
    ]
    assert ">Card</button>" in bank_page and ">DNS</button>" not in bank_page


def test_the_buttons_are_translated(client, cloud):
    page = client.get("/s/cloudflare/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert ">Console / tableau de bord</button>" in page
    assert ">Sites hébergés</button>" in page


def test_the_widget_shows_the_category_s_buttons_and_compact_one(client, cloud):
    page = client.get("/embed/cloudflare/").content.decode()
    compact = client.get("/embed/cloudflare/?compact=1").content.decode()

    assert re.findall(r'data-problem="([a-z]+)"', page) == CLOUD_TYPES
    assert re.findall(r'data-problem="([a-z]+)"', compact) == ["other"]


def test_the_service_page_shows_the_three_most_reported_types_with_their_shares(client, cloud):
    minute = floor_to_minute(timezone.now()) - timedelta(minutes=30)
    for problem, count in [("dns", 50), ("api", 25), ("console", 15), ("login", 6), ("other", 4)]:
        MinuteBucketFactory(service=cloud, minute=minute, problem=problem, count=count)

    page = client.get("/s/cloudflare/").content.decode()

    table = page[page.index('class="top-problems"') :].split("</table>")[0]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)%</td>', table)
    assert rows == [("DNS", "50", "50"), ("API", "25", "25"), ("Console / dashboard", "15", "15")]
