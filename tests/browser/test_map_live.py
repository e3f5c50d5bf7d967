"""The service page's country map, sortable country table and live refresh in a real browser:
the map's shapes come from our own topojson, and new reports reach the page without a reload."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outages.detection.timebuckets import floor_to_minute
from tests.factories import MinuteBucketFactory, ServiceFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def _bucket(service, *, country="US", count=1, minutes_ago=0):
    MinuteBucketFactory(
        service=service,
        country=country,
        count=count,
        minute=floor_to_minute(timezone.now()) - timedelta(minutes=minutes_ago),
    )


def test_the_map_draws_country_shapes_from_our_topojson_only(twitter, open_tab):
    for country, count in (("US", 30), ("FR", 12), ("DE", 4)):
        _bucket(twitter, country=country, count=count, minutes_ago=5)
    tab = open_tab()
    topojson = []
    tab.page.on("response", lambda r: "topojson" in r.url and topojson.append((r.url, r.status)))

    tab.page.goto("/s/twitter/", wait_until="networkidle")

    shapes = tab.page.locator("#country-map path.choroplethlocation")
    expect(shapes).to_have_count(3)
    filled = tab.page.evaluate(
        "() => [...document.querySelectorAll('#country-map path.choroplethlocation')]"
        ".filter(p => (p.getAttribute('d') || '').length > 20).length"
    )
    assert filled == 3  # real outlines, not empty paths
    assert [status for _, status in topojson] == [200]
    assert topojson[0][0].endswith("/static/vendor/topojson/world_110m.json")
    assert tab.offsite == []
    assert tab.errors == []


def test_the_country_table_sorts_by_a_clicked_column(twitter, open_tab):
    for country, count in (("US", 30), ("FR", 12), ("DE", 40)):
        _bucket(twitter, country=country, count=count, minutes_ago=5)
    tab = open_tab()
    page = tab.page
    page.goto("/s/twitter/")
    table = page.locator("table.countries")
    names = table.locator("tbody th")
    expect(names).to_have_text(["Germany", "United States of America", "France"])

    table.get_by_role("button", name="Reports").click()
    expect(names).to_have_text(["Germany", "United States of America", "France"])
    expect(table.locator("thead th").nth(1)).to_have_attribute("aria-sort", "descending")

    table.get_by_role("button", name="Reports").click()
    expect(names).to_have_text(["France", "United States of America", "Germany"])

    table.get_by_role("button", name="Country").click()
    expect(names).to_have_text(["France", "Germany", "United States of America"])

    names.get_by_role("link", name="France").click()
    expect(page).to_have_url(re.compile(r"/region/FR/$"))
    expect(page.locator("h1")).to_have_text("What is down in France?")
    assert tab.errors == []


def test_the_country_table_is_a_plain_table_without_javascript(twitter, open_tab):
    _bucket(twitter, country="FR", count=3, minutes_ago=5)
    page = open_tab(java_script_enabled=False).page
    page.goto("/s/twitter/")
    expect(page.locator("table.countries tbody tr")).to_have_count(1)
    expect(page.locator("table.countries thead button")).to_have_count(0)
    expect(page.locator("table.countries").get_by_role("link", name="France")).to_be_visible()


def test_new_reports_reach_the_counts_and_the_chart_without_a_reload(twitter, open_tab):
    tab = open_tab()
    page = tab.page
    page.clock.install()  # real time flows; fast_forward fires the poll at once
    live = []
    page.on("response", lambda r: "live.json" in r.url and live.append(r.status))
    page.goto("/s/twitter/")
    expect(page.locator("#spike-chart .main-svg").first).to_be_visible()
    expect(page.locator('[data-live="problems"]')).to_have_text("0")

    page.evaluate("() => { window.sameDocument = true; }")  # a reload would drop it

    minute = floor_to_minute(timezone.now())
    _bucket(twitter, count=7)
    _bucket(twitter, count=2, minutes_ago=3)
    page.clock.fast_forward(31_000)

    # The 15-minute count is as of the last complete minute; the chart shows this one too.
    expect(page.locator('[data-live="problems"]')).to_have_text("2")
    counts = "() => document.getElementById('spike-chart').data.find(t => t.uid === 'counts').y"
    page.wait_for_function(f"() => ({counts})().reduce((a, b) => a + b, 0) === 9")
    y = page.evaluate(counts)
    assert len(y) == 24 * 12 and max(y[-2:]) >= 7  # per 5 minutes, this one among the last
    assert sum(y[-2:]) == 9  # 3 minutes ago: the same 5 minutes or the one before
    assert page.evaluate("() => window.sameDocument") is True

    page.clock.fast_forward(31_000)  # nothing new: a 304, and the page keeps its figures
    for _ in range(50):
        if len(live) >= 2:
            break
        page.wait_for_timeout(100)
    # Unchanged within the minute; when a minute has turned meanwhile, the chart has moved on.
    assert live[:2] == [200, 304] or floor_to_minute(timezone.now()) != minute
    expect(page.locator('[data-live="problems"]')).to_have_text("2")
    assert tab.offsite == []
    assert tab.errors == []
