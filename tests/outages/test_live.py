"""The service page's live refresh (live.json) and its country map's figure."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from outages import charts, selectors
from outages.detection.timebuckets import floor_to_minute
from outages.views import LIVE_INTERVALS
from tests.factories import IncidentFactory, MinuteBucketFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def _bucket(service, *, minutes_ago=0, count=1, kind="problem", country="US"):
    MinuteBucketFactory(
        service=service,
        kind=kind,
        country=country,
        count=count,
        problem="login" if kind == "problem" else "",
        minute=floor_to_minute(timezone.now()) - timedelta(minutes=minutes_ago),
    )


def test_live_json_has_the_status_the_counts_and_the_chart_s_last_minutes(client, twitter, midday):
    _bucket(twitter, count=4)  # the minute in progress: on the chart, not yet in the counts
    _bucket(twitter, count=2, minutes_ago=3)
    _bucket(twitter, count=7, minutes_ago=15)  # the first of the 15 minutes counted
    _bucket(twitter, count=5, kind="works", minutes_ago=1)
    _bucket(twitter, count=100, minutes_ago=20)  # older than 15 minutes and the live window

    live = client.get("/s/twitter/live.json").json()

    assert (live["level"], live["problems"], live["works"]) == (0, 9, 5)
    assert live["sentence"] == "No current problems: reports are at their usual level."
    series = live["series"]
    assert series["dx"] == 300_000  # the chart's display buckets
    assert set(series["y"]) == {"lower", "upper", "expected", "counts"}
    counts = series["y"]["counts"]
    assert len(counts) == LIVE_INTERVALS and counts[-1] == 4 and counts[-2] == 2
    assert sum(counts) == 6 + 7 + 100  # the 5 minutes from 12:10 hold the minute 20 minutes ago


def test_live_points_sit_on_the_page_chart_s_grid(twitter):
    _bucket(twitter, count=3, minutes_ago=2)
    now = timezone.now()
    for range_name in selectors.RANGES:
        whole = selectors.series_with_band(service_id=twitter.id, end=now, range_name=range_name)
        tail = selectors.series_with_band(
            service_id=twitter.id, end=now, range_name=range_name, intervals=LIVE_INTERVALS
        )
        figure = charts.band_chart(whole, title="t")
        live = charts.live_series(tail)
        assert tail.times == whole.times[-LIVE_INTERVALS:]
        assert (tail.counts, tail.upper) == (whole.counts[-10:], whole.upper[-10:])
        assert {trace["uid"] for trace in figure["data"]} == set(live["y"])
        assert figure["data"][0]["dx"] == live["dx"]


def test_a_whole_range_keeps_its_complete_minutes_briefly_and_reads_the_current_one_afresh(
    twitter, midday, django_assert_num_queries
):
    _bucket(twitter, count=3, minutes_ago=2)
    first = selectors.series_with_band(service_id=twitter.id, end=midday)
    _bucket(twitter, count=4)  # the current minute: shown at once
    _bucket(twitter, count=5, minutes_ago=2, country="GB")  # a late one in a complete minute
    with django_assert_num_queries(2):  # the baseline and the current minute, no more
        second = selectors.series_with_band(service_id=twitter.id, end=midday)
    assert (first.counts[-3:], second.counts[-3:]) == ([3, 0, 0], [3, 0, 4])

    later = selectors.series_with_band(service_id=twitter.id, end=midday + timedelta(minutes=1))
    assert later.counts[-4:] == [8, 0, 4, 0]  # a new minute, a new read of the whole range
    narrowed = selectors.series_with_band(
        service_id=twitter.id, end=midday, segment=("country", "FR")
    )
    assert narrowed.counts[-3:] == [0, 0, 0]  # each segment is kept apart


def test_live_json_sends_an_incident_s_level_and_sentence(client, twitter):
    now = timezone.now()
    IncidentFactory(
        service=twitter,
        started_at=now.replace(hour=9, minute=5),
        detected_at=now,
        peak_at=now,
        scope="",
    )
    live = client.get("/s/twitter/live.json").json()
    assert live["level"] == 2
    # HTML, as on the page: the time is a <time> element that the page's script localises.
    assert live["sentence"].startswith("Users report problems with Twitter since <time ")
    assert ">09:05 UTC</time>" in live["sentence"]


def test_an_unchanged_answer_is_a_304_and_a_new_report_changes_the_etag(client, twitter, midday):
    first = client.get("/s/twitter/live.json")
    etag = first["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    assert first["Cache-Control"] == "max-age=15"

    again = client.get("/s/twitter/live.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == "max-age=15"

    _bucket(twitter, count=1, minutes_ago=1)
    changed = client.get("/s/twitter/live.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["problems"] == 1


def test_live_json_follows_the_page_s_range(client, twitter):
    series = client.get("/s/twitter/live.json?range=7d").json()["series"]
    assert series["dx"] == 60 * 60_000 and len(series["y"]["counts"]) == LIVE_INTERVALS
    unknown = client.get("/s/twitter/live.json?range=bogus").json()["series"]
    assert unknown["dx"] == 5 * 60_000


def test_live_json_of_an_unknown_service_is_404(client):
    assert client.get("/s/nope/live.json").status_code == 404


def test_live_json_queries_are_bounded(client, twitter, django_assert_max_num_queries):
    for minutes_ago in range(0, 600, 3):
        _bucket(twitter, minutes_ago=minutes_ago, count=2)
    for range_name in selectors.RANGES:
        # The service, its baseline, its open incident, the 15-minute counts, the series.
        with django_assert_max_num_queries(5):
            assert client.get(f"/s/twitter/live.json?range={range_name}").status_code == 200


def test_the_service_page_points_live_js_at_its_live_json(client, twitter):
    page = client.get("/s/twitter/?range=7d").content.decode()
    assert 'data-live-url="/s/twitter/live.json?range=7d"' in page
    assert 'data-live="problems"' in page and 'data-live="works"' in page
    assert "outages/live.js" in page


# --- The country map -------------------------------------------------------------------------


def test_the_map_figure_uses_alpha_3_codes_and_our_topojson():
    figure = charts.country_map(
        {"US": 30, "FR": 12, "??": 5, "XK": 2, "DE": 0}, title="t", topojson_url="/static/t/"
    )

    (trace,) = figure["data"]
    assert trace["type"] == "choropleth" and trace["locationmode"] == "ISO-3"
    assert (trace["locations"], trace["z"]) == (["USA", "FRA"], [30, 12])
    assert trace["customdata"] == ["US", "FR"]
    assert trace["text"] == ["United States of America", "France"]
    assert figure["config"] == {"topojsonURL": "/static/t/"}
    assert figure["layout"]["geo"]["resolution"] == 110  # world_110m.json


def test_the_service_page_embeds_the_map_with_a_local_topojson_folder(client, twitter, midday):
    _bucket(twitter, count=3, country="FR", minutes_ago=1)

    page = client.get("/s/twitter/").content.decode()

    assert 'id="map-figure"' in page and 'data-figure="map-figure"' in page
    assert '"topojsonURL": "/static/vendor/topojson/"' in page
    assert '"locations": ["FRA"]' in page
    assert finders.find("vendor/topojson/world_110m.json")


def test_the_country_table_is_sortable_and_keeps_its_numbers(client, twitter, midday):
    _bucket(twitter, count=3, country="FR", minutes_ago=1)
    _bucket(twitter, count=9, country="US", minutes_ago=1)

    page = client.get("/s/twitter/").content.decode()

    assert '<table class="countries" data-sortable>' in page
    assert page.index('data-value="9"') < page.index('data-value="3"')
    assert "outages/sort.js" in page
