"""Cross-site forgery protection without a per-visitor token (common/cross_origin.py): Fetch
Metadata first, then Origin, and Django's token for a browser that sends neither."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from reports.models import Report
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

REPORT = {"problem": "login", "platform": "web"}


@pytest.fixture
def twitter(database_buffer):
    return ServiceFactory(slug="twitter", name="Twitter")


def post(data=REPORT, **headers):
    return Client(enforce_csrf_checks=True).post("/s/twitter/report/", data, **headers)


def test_a_same_origin_post_is_accepted_without_a_token(twitter):
    response = post(HTTP_SEC_FETCH_SITE="same-origin", HTTP_ORIGIN="http://testserver")

    assert response.status_code == 302
    assert Report.objects.count() == 1


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_a_post_from_another_origin_is_refused_and_changes_nothing(twitter, site):
    response = post(HTTP_SEC_FETCH_SITE=site, HTTP_ORIGIN="http://testserver:8001")

    assert response.status_code == 403
    assert b"Please confirm" not in response.content  # no way round for a browser that said
    assert not Report.objects.exists()


def test_fetch_metadata_wins_over_a_matching_origin(twitter):
    # A browser never sends this pair for our own page; the stronger header decides.
    response = post(HTTP_SEC_FETCH_SITE="cross-site")

    assert response.status_code == 403


def test_without_fetch_metadata_the_origin_decides(twitter):
    assert post(HTTP_ORIGIN="https://evil.example").status_code == 403
    assert post(HTTP_ORIGIN="null").status_code == 403
    assert not Report.objects.exists()

    assert post(HTTP_ORIGIN="http://testserver").status_code == 302
    assert Report.objects.count() == 1


def test_a_trusted_origin_may_post_from_another_site(twitter, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://status.example.com"]

    response = post(HTTP_SEC_FETCH_SITE="cross-site", HTTP_ORIGIN="https://status.example.com")

    assert response.status_code == 302


def test_a_browser_that_sends_neither_header_confirms_with_a_token(twitter):
    client = Client(enforce_csrf_checks=True)

    asked = client.post("/s/twitter/report/", {**REPORT, "country": "FR"})

    assert asked.status_code == 403
    page = asked.content.decode()
    assert "Please confirm" in page
    assert not Report.objects.exists()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert {k: fields[k] for k in ("problem", "platform", "country")} == {**REPORT, "country": "FR"}

    confirmed = client.post("/s/twitter/report/", fields)

    assert confirmed.status_code == 302
    assert Report.objects.get().country == "FR"


def test_a_forged_confirmation_without_the_cookie_is_refused(twitter):
    page = Client(enforce_csrf_checks=True).post("/s/twitter/report/", REPORT).content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))

    # Another browser (the forger's victim) has not the cookie the token is bound to.
    response = Client(enforce_csrf_checks=True).post("/s/twitter/report/", fields)

    assert response.status_code == 403
    assert not Report.objects.exists()


def test_other_views_keep_django_s_plain_refusal(twitter, django_user_model):
    response = Client(enforce_csrf_checks=True).post("/admin/login/", {"username": "x"})

    assert response.status_code == 403
    assert b"Please confirm" not in response.content


def test_a_no_script_report_gets_its_id_on_the_server_and_a_repeat_counts_once(twitter):
    client = Client(enforce_csrf_checks=True, HTTP_SEC_FETCH_SITE="same-origin")

    client.post("/s/twitter/report/", REPORT)
    client.post("/s/twitter/report/", REPORT)

    reports = list(Report.objects.order_by("received_at"))
    assert len(reports) == 2 and reports[0].id != reports[1].id  # ids made at POST time
    assert [r.counted for r in reports] == [True, False]  # the same person, counted once


def test_the_platform_left_to_guess_is_taken_from_the_browser(twitter):
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"
    post(
        {"problem": "login"},
        HTTP_SEC_FETCH_SITE="same-origin",
        HTTP_USER_AGENT=iphone,
        HTTP_ACCEPT_LANGUAGE="ja-JP",
    )

    report = Report.objects.get()
    assert (report.platform, report.country) == ("ios", "JP")
