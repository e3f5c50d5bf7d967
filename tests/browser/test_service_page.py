"""The service page in a real browser: the chart drawn from local files only, the two-click
report (with and without JavaScript) and the keyboard path to a report button."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outages.detection.timebuckets import floor_to_minute
from reports.models import Report
from tests.factories import MinuteBucketFactory, ServiceFactory
from tests.reports.helpers import bucket_total

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter", category="social")


def test_the_chart_draws_our_buckets_with_no_request_off_this_machine(twitter, open_tab):
    minute = floor_to_minute(timezone.now()) - timedelta(minutes=5)
    for country, count in (("US", 30), ("FR", 12)):
        MinuteBucketFactory(service=twitter, minute=minute, country=country, count=count)
    tab = open_tab()

    tab.page.goto("/s/twitter/", wait_until="networkidle")

    expect(tab.page.locator("#spike-chart .main-svg").first).to_be_visible()
    y = tab.page.evaluate(
        "() => document.getElementById('spike-chart').data.find(t => t.uid === 'counts').y"
    )
    assert (max(y), sum(y)) == (42, 42)  # one 5 minutes with both buckets, zeros elsewhere
    # The typical band is drawn as a filled area under the reports (a new service: the prior).
    band = tab.page.evaluate(
        "() => document.getElementById('spike-chart').data.find(t => t.name === 'Typical range')"
    )
    assert band["fill"] == "tonexty" and len(band["y"]) == len(y) and min(band["y"]) > 0
    assert tab.page.locator("#spike-chart .fills path").count() >= 1
    assert tab.offsite == []
    assert tab.errors == []


def test_two_clicks_report_a_problem_and_a_repeat_is_counted_once(
    twitter, open_tab, database_buffer
):
    page = open_tab().page
    page.goto("/s/twitter/")

    page.get_by_role("button", name="Login", exact=True).click()

    # No reload: the thank-you and the live count appear in place.
    result = page.locator(".report-result")
    expect(result).to_contain_text("Thank you: your report about Twitter is counted.")
    expect(result).to_contain_text("1 problem report and 0 “works for me” in the last 15 minutes")
    assert page.url.endswith("/s/twitter/")
    assert page.evaluate("() => performance.getEntriesByType('navigation').length") == 1
    report = Report.objects.get()
    assert (report.source, report.kind, report.problem, report.counted) == (
        "site",
        "problem",
        "login",
        True,
    )
    assert bucket_total(service=twitter) == 1

    page.get_by_role("button", name="Login", exact=True).click()

    expect(result).to_contain_text("it is counted once")
    assert Report.objects.filter(counted=False).count() == 1  # kept, not counted
    assert bucket_total(service=twitter) == 1


def test_the_form_works_without_javascript(twitter, open_tab, database_buffer):
    tab = open_tab(java_script_enabled=False)
    page = tab.page
    page.goto("/s/twitter/")
    expect(page.locator("#spike-chart .main-svg")).to_have_count(0)  # no chart, still a form

    page.get_by_text("Platform and country").click()  # <details> opens without scripts
    report_form = page.locator("form", has=page.get_by_role("button", name="It works for me"))
    report_form.get_by_label("Platform").select_option("android")
    report_form.get_by_label("Country").select_option("FR")
    report_form.get_by_role("button", name="It works for me").click()

    expect(page.locator("p.message[role=status]")).to_have_text(
        "Thank you: your report about Twitter is counted."
    )
    report = Report.objects.get()
    assert (report.kind, report.problem, report.platform, report.country, report.source) == (
        "works",
        "",
        "android",
        "FR",
        "site",
    )
    assert bucket_total(service=twitter, kind="works") == 1
    assert tab.errors == []


def test_tab_reaches_a_problem_button_and_enter_submits_it(twitter, open_tab, database_buffer):
    page = open_tab().page
    page.goto("/s/twitter/")
    expect(page.locator("#spike-chart .main-svg").first).to_be_visible()

    focused = None
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e && e.name === 'problem' ? e.value : null; }"
        )
        if focused:
            break
    assert focused == "login", "Tab never reached the first problem button"

    page.keyboard.press("Enter")

    expect(page.locator(".report-result")).to_contain_text(
        "Thank you: your report about Twitter is counted."
    )
    report = Report.objects.get()
    assert (report.kind, report.problem, report.source) == ("problem", "login", "site")
    assert bucket_total(service=twitter) == 1


def test_a_cloud_service_s_own_button_reports_its_type(open_tab, database_buffer):
    aws = ServiceFactory(slug="aws", name="AWS", category="cloud")
    tab = open_tab()
    page = tab.page
    page.goto("/s/aws/")
    buttons = page.locator("form.report button[name=problem]")
    expect(buttons).to_have_text(
        ["API", "Console / dashboard", "DNS", "Hosted sites", "Deployments", "Login", "Other"]
    )

    page.get_by_role("button", name="DNS", exact=True).click()

    expect(page.locator(".report-result")).to_contain_text(
        "Thank you: your report about AWS is counted."
    )
    report = Report.objects.get()
    assert (report.service_id, report.kind, report.problem) == (aws.id, "problem", "dns")
    assert bucket_total(service=aws, problem="dns") == 1
    assert tab.errors == []
