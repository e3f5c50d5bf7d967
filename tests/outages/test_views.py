"""The first public pages: home, the service page with its chart, and the report form.

Over 300 lines: the public pages' cases, which share their fixtures."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import plotly.offline
import pytest
from django.utils import timezone

from outages.detection.timebuckets import floor_to_minute
from reports.models import Report
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    ServiceAliasFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def test_home_ranks_services_by_status_then_deviation(client, twitter):

    quiet = ServiceFactory(slug="quiet", name="Quiet")
    odd = ServiceFactory(slug="odd", name="Odd")
    now = timezone.now()
    ServiceStatusFactory(service=quiet, minute=now, deviation=-0.5)
    ServiceStatusFactory(service=odd, minute=now, deviation=3.0, sparkline=[1, 5, 2])
    ServiceStatusFactory(service=twitter, minute=now, level=2, deviation=1.0)

    page = client.get("/").content.decode()

    assert page.index("Twitter") < page.index("Odd") < page.index("Quiet")
    assert "<polyline" in page


def test_home_filters_by_category(client, twitter):
    ServiceFactory(slug="bank", name="Bank", category="finance")
    page = client.get("/?category=finance").content.decode()
    assert "/s/bank/" in page and "/s/twitter/" not in page


@pytest.mark.parametrize("query", ["twitter", "Twiter", "x", "twit"])
def test_search_finds_a_service_by_name_alias_prefix_or_typo(client, twitter, query):

    ServiceAliasFactory(service=twitter, alias="x")
    ServiceFactory(slug="facebook", name="Facebook")
    response = client.get("/search", {"q": query})
    assert response.status_code == 302 and response["Location"] == "/s/twitter/"


def test_search_says_when_nothing_matches(client, twitter):
    page = client.get("/search", {"q": "zzqq"}).content.decode()
    assert "No service matches" in page


def test_the_service_page_charts_24_hours_per_5_minutes_and_tables_every_minute(
    client, twitter, midday
):
    minute = floor_to_minute(timezone.now()) - timedelta(minutes=5)
    MinuteBucketFactory(service=twitter, minute=minute, count=42)

    response = client.get("/s/twitter/")

    assert response.status_code == 200
    reports = next(t for t in response.context["figure"]["data"] if t["uid"] == "counts")
    y = reports["y"]
    # Clock-aligned 5-minute buckets, zero-filled; the first, partly covered, left out.
    assert len(y) == 24 * 12 and reports["dx"] == 300_000
    first = datetime.fromisoformat(reports["x0"])
    assert first.minute % 5 == 0 and first.second == 0
    assert y[int((minute - first) / timedelta(minutes=5))] == 42
    assert sum(y) == 42
    assert reports["name"] == "Problem reports per 5 min"
    table = response.context["table"]
    assert table.count("<tr>") == 24 * 60  # the minute detail stays in the table
    assert f"<td>{minute:%Y-%m-%d %H:%M}</td><td>42</td>" in table


def test_pages_load_scripts_only_from_our_own_static_files(client, twitter):
    page = client.get("/s/twitter/").content.decode()

    sources = re.findall(r'<script[^>]+src="([^"]+)"', page)
    assert "/static/vendor/plotly/plotly-geo.min.js" in sources
    assert all(src.startswith("/static/") for src in sources)
    assert "cdn" not in page.lower()


def test_the_local_plotly_is_the_geo_bundle_of_the_version_plotly_py_expects(client):
    # Only the traces we draw (scatter, choropleth): a third of the full bundle's size.
    response = client.get("/static/vendor/plotly/plotly-geo.min.js")

    assert response.status_code == 200
    head = b"".join(response.streaming_content)[:200].decode()
    assert f"plotly.js (geo - minified) v{plotly.offline.get_plotlyjs_version()}" in head


def test_an_unknown_service_page_is_404(client):
    assert client.get("/s/nope/").status_code == 404


def test_the_form_preselects_country_from_accept_language_and_platform_from_agent(client, twitter):
    response = client.get(
        "/s/twitter/report/",
        HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9",
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
    )
    page = response.content.decode()

    assert '<option value="JP" selected>' in page
    assert '<option value="ios" selected>' in page


def test_the_report_form_counts_a_report_and_thanks_the_reporter(client, twitter, database_buffer):
    form = client.get("/s/twitter/report/").context["form_values"]
    response = client.post(
        "/s/twitter/report/",
        {"id": form["id"], "problem": "login", "platform": "web", "country": "FR"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/s/twitter/"
    assert "your report about Twitter is counted" in response.content.decode()
    report = Report.objects.get()
    assert (report.source, report.country, report.problem) == ("site", "FR", "login")


def test_a_double_submitted_form_is_one_report(client, twitter, database_buffer):
    data = {"id": "6f1c2b8e-3c1a-4f5e-9b7a-2d4c6e8f0a1b", "problem": "login", "platform": "web"}
    client.post("/s/twitter/report/", data)
    client.post("/s/twitter/report/", data)

    assert Report.objects.count() == 1


def test_the_form_shows_which_field_is_wrong(client, twitter, database_buffer):
    response = client.post("/s/twitter/report/", {"problem": "login", "platform": "fax"})

    assert response.status_code == 400
    assert "platform:" in response.content.decode()
    assert not Report.objects.exists()


def test_the_report_form_requires_a_csrf_token(twitter, database_buffer):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/s/twitter/report/", {"problem": "login", "platform": "web"}
    )

    assert response.status_code == 403
    assert not Report.objects.exists()


def test_the_openapi_schema_documents_report_intake(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/services/{slug}/reports"]["post"]
    assert operation["operationId"] == "reports_create"
    assert {"202", "400", "404", "409", "413", "415", "429", "503"} <= set(operation["responses"])


# --- Status wording, band, incidents ----------------------------------------------------


def _incident(service, **fields):  # type: ignore[no-untyped-def]

    now = floor_to_minute(timezone.now())
    values = {
        "service": service,
        "level": 2,
        "started_at": now - timedelta(minutes=30),
        "detected_at": now - timedelta(minutes=28),
        "peak_at": now - timedelta(minutes=10),
        "peak_count": 700,
        "peak_quarter_at": now - timedelta(minutes=10),
        "peak_quarter_count": 9801,
        "total": 26611,
        "expected_total": 150.0,
        "platforms": {"web": 0.894, "ios": 0.057, "android": 0.049},
        "problems": {"login": 0.45, "loading": 0.3},
        "countries": [
            {"country": c, "count": 100, "expected": 5.0, "ratio": 20.0}
            for c in ("US", "JP", "GB", "FR", "DE", "BR")
        ],
        "scope": "international",
        "visibility": "public",
    }
    values.update(fields)
    return IncidentFactory(**values)


def test_a_quiet_service_says_reports_are_at_their_usual_level(client, twitter):
    page = client.get("/s/twitter/").content.decode()
    assert "No current problems: reports are at their usual level." in page
    assert "No incidents recorded." in page
    assert "No problem reports in this period." in page


@pytest.mark.parametrize(
    ("level", "wording"),
    [(1, "Possible problems with Twitter since"), (2, "Users report problems with Twitter since")],
)
def test_an_open_incident_sets_the_status_sentence(client, twitter, level, wording):
    incident = _incident(twitter, level=level)
    page = client.get("/s/twitter/").content.decode()
    text = re.sub(r"<[^>]+>", "", page)  # the time is a <time> element the browser localises
    assert f"{wording} {incident.started_at:%H:%M} UTC." in text
    assert f'<time datetime="{incident.started_at.isoformat()}" data-utc="time">' in page
    assert f"/incidents/{incident.pk}/" in page


def test_a_suspicious_incident_is_not_shown(client, twitter):
    incident = _incident(twitter, visibility="suspicious")
    assert "No current problems" in client.get("/s/twitter/").content.decode()
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404


def test_the_chart_draws_the_typical_band_and_shades_incidents(client, twitter):
    _incident(twitter)
    figure = client.get("/s/twitter/?range=7d").context["figure"]
    names = [trace["name"] for trace in figure["data"]]
    assert "Typical range" in names and "Typical" in names
    reports = next(t for t in figure["data"] if t["uid"] == "counts")
    assert len(reports["y"]) in (7 * 24 - 1, 7 * 24) and reports["dx"] == 60 * 60_000
    rect, start = figure["layout"]["shapes"]  # the incident shaded, its start a line
    assert rect["type"] == "rect" and start["type"] == "line" and start["x0"] == rect["x0"]
    assert [note["text"] for note in figure["layout"]["annotations"]] == ["Start"]
    assert [t["uid"] for t in figure["data"]].count("peak") == 1


def test_the_incident_page_tells_the_story(client, twitter):
    incident = _incident(twitter)
    page = re.sub(r"<[^>]+>", "", client.get(f"/incidents/{incident.pk}/").content.decode())
    assert (
        f"Reports peaked at about 9,800 per 15 minutes near {incident.peak_quarter_at:%H:%M} UTC;"
        " 89% web, 11% app; 6 countries; international." in page
    )
    assert "Waves" in page
    listing = client.get("/incidents/").content.decode()
    assert f"/incidents/{incident.pk}/" in listing


def test_the_incident_list_has_an_empty_state(client):
    assert "No incidents recorded yet." in client.get("/incidents/").content.decode()


def test_the_country_switch_reranks_home_for_that_country(client, twitter, midday):

    local = ServiceFactory(slug="localbank", name="Local Bank")
    now = timezone.now()
    ServiceStatusFactory(service=twitter, minute=now, deviation=5.0, expected=50.0)
    ServiceStatusFactory(service=local, minute=now, deviation=0.0, expected=1.0)
    MinuteBucketFactory(
        service=local, minute=floor_to_minute(now) - timedelta(minutes=1), country="FR", count=30
    )

    world = client.get("/").content.decode()
    france = client.get("/?country=FR").content.decode()

    assert world.index("/s/twitter/") < world.index("/s/localbank/")
    assert france.index("/s/localbank/") < france.index("/s/twitter/")
    assert '<option value="FR" selected>' in france


@pytest.mark.parametrize(
    ("confidence", "wording"), [(0.9, "High confidence"), (0.3, "Low confidence")]
)
def test_an_open_incident_states_its_confidence(client, twitter, confidence, wording):
    _incident(twitter, confidence=confidence)
    assert wording in client.get("/s/twitter/").content.decode()


def test_an_incident_summary_names_the_largest_platforms_when_few_came_by_web_or_app():
    from outages.summaries import platform_words

    assert platform_words({"api": 0.98, "web": 0.02}) == "98% API, 2% web"
    assert platform_words({"web": 0.89, "ios": 0.06, "android": 0.05}) == "89% web, 11% app"


@pytest.mark.django_db
def test_a_one_country_incident_says_which_country_beside_how_many_reported():
    from outages.summaries import scope_phrase

    incident = IncidentFactory(
        scope="one",
        countries=[
            {"country": "US", "count": 30, "expected": 25.0, "ratio": 1.2},
            {"country": "FR", "count": 400, "expected": 4.0, "ratio": 100.0},
        ],
    )

    assert scope_phrase(incident) == "mostly in France"


@pytest.mark.django_db
def test_a_young_incident_s_peak_is_never_said_to_come_before_it_began():
    from outages.summaries import incident_summary

    started = timezone.now().replace(second=0, microsecond=0)
    incident = IncidentFactory(
        started_at=started,
        peak_at=started,
        peak_quarter_at=started - timedelta(minutes=6),
        peak_quarter_count=12,
    )

    assert started.isoformat() in incident_summary(incident)


def test_the_report_block_comes_right_after_the_status_and_before_the_chart(client, twitter):
    page = client.get("/s/twitter/").content.decode()

    order = [
        page.index(marker)
        for marker in (
            "<h1>",
            'class="status',
            'id="report-heading"',
            'name="problem"',
            'value="works"',
            'id="chart-heading"',
            'id="spike-chart"',
            'class="breakdowns"',
            'class="timeline"',
        )
    ]
    assert order == sorted(order)
    assert 'href="#report-heading"' in page and 'href="#chart-heading"' in page  # skip links
    assert 'name="csrfmiddlewaretoken"' not in page  # the same bytes for everyone


def test_the_region_page_charts_the_country_s_most_reported_services(client, twitter, midday):
    MinuteBucketFactory(
        service=twitter,
        minute=floor_to_minute(midday) - timedelta(minutes=3),
        country="FR",
        count=7,
    )

    response = client.get("/region/fr/")

    (line,) = response.context["figure"]["data"]
    assert line["name"] == "Twitter" and sum(line["y"]) == 7 and line["dx"] == 300_000
    assert 'id="region-chart"' in response.content.decode()
    quiet = client.get("/region/de/")
    assert quiet.context["figure"] is None and 'id="region-chart"' not in quiet.content.decode()


def test_every_page_has_the_footer_and_the_about_page_explains_detection(client, twitter):
    about = client.get("/about/")
    assert about.status_code == 200
    assert "How detection works" in about.content.decode()
    page = client.get("/s/twitter/").content.decode()
    footer = page.split('<footer class="site-footer">')[1]
    for href in ('href="/"', 'href="/incidents/"', 'href="/about/"', 'href="/api/docs/"'):
        assert href in footer
    french = client.get("/about/", headers={"Accept-Language": "fr"}).content.decode()
    assert "Comment fonctionne la détection" in french
