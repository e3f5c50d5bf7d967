"""Ratios as the public pages write them (one decimal below 10, whole numbers from 10, the same
text for the same figure on every page), and an incident with no counted report yet, which
says so instead of "peaked at about 0" and "—×"."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from outages import figures
from outages.detection.timebuckets import floor_to_minute
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    SeriesBaselineFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

pytestmark = pytest.mark.django_db

COUNTRIES = [
    {"country": "US", "count": 30, "expected": 25.0, "ratio": 1.2},
    {"country": "FR", "count": 400, "expected": 4.0, "ratio": 100.0},
]


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def _text(page: str) -> str:
    """The page's words, each element's text apart from the next."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _open_incident(service, **fields):  # type: ignore[no-untyped-def]
    """An open incident with reports from the US and France during it."""
    now = floor_to_minute(timezone.now())
    for country in ("US", "FR"):
        MinuteBucketFactory(service=service, minute=now - timedelta(minutes=5), country=country)
    values = {
        "service": service,
        "started_at": now - timedelta(minutes=30),
        "peak_quarter_at": now - timedelta(minutes=10),
        "peak_quarter_count": 9801,
        "countries": COUNTRIES,
    }
    return IncidentFactory(**(values | fields))


def test_a_large_peak_ratio_reads_as_a_grouped_whole_number_on_both_pages(
    client, twitter, monkeypatch
):
    monkeypatch.setattr(figures, "incident_peak_ratio", lambda incident: 3680.0)
    incident = _open_incident(twitter)

    incident_page = client.get(f"/incidents/{incident.pk}/").content.decode()
    service_page = client.get("/s/twitter/").content.decode()

    assert '<dd data-count="peak-ratio">3,680×</dd>' in incident_page
    assert '<span data-count="peak-ratio">3,680</span>× typical' in service_page
    assert "3680.0" not in incident_page + service_page


def test_a_small_peak_ratio_keeps_one_decimal(client, twitter, monkeypatch):
    monkeypatch.setattr(figures, "incident_peak_ratio", lambda incident: 2.4)
    incident = _open_incident(twitter)

    assert '"peak-ratio">2.4×<' in client.get(f"/incidents/{incident.pk}/").content.decode()
    assert '"peak-ratio">2.4</span>×' in client.get("/s/twitter/").content.decode()


def test_the_country_tables_read_ratios_alike_on_the_incident_and_the_service_page(client, twitter):
    incident = _open_incident(twitter)

    incident_page = client.get(f"/incidents/{incident.pk}/").content.decode()
    service_page = client.get("/s/twitter/").content.decode()

    for page in (incident_page, service_page):
        table = page[page.index('class="countries"') :]
        assert re.search(r">1\.2</td>", table)
        assert re.search(r">100</td>", table)  # not "100.0"
    assert 'data-value="100.0"' in service_page  # sorting still reads the number


def test_french_pages_write_the_ratio_with_french_marks(client, twitter, monkeypatch):
    monkeypatch.setattr(figures, "incident_peak_ratio", lambda incident: 3680.0)
    incident = _open_incident(twitter)

    page = client.get(f"/incidents/{incident.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert '"peak-ratio">3\u00a0680×<' in page
    assert ">1,2</td>" in page


def test_the_region_rows_read_their_ratio_the_same_way(client):
    big = ServiceFactory(slug="big", name="Big")
    ServiceStatusFactory(service=big, expected=100.0)
    SeriesBaselineFactory(service=big, dimension="country", value="FR", share=0.5)
    small = ServiceFactory(slug="small", name="Small")
    ServiceStatusFactory(service=small, expected=10.0)
    minute = floor_to_minute(timezone.now()) - timedelta(minutes=1)
    MinuteBucketFactory(service=big, minute=minute, country="FR", count=60)  # 60 / 50
    MinuteBucketFactory(service=small, minute=minute, country="FR", count=20)  # 20 / 0.2

    rows = _text(client.get("/region/fr/").content.decode())

    assert "Small 20 0.2 100 " in rows  # not "100.0"
    assert "Big 60 50.0 1.2 " in rows


def test_an_incident_with_no_counted_report_says_so(client, twitter):
    incident = IncidentFactory(service=twitter)  # the pass has not counted it yet

    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    text = _text(page)

    assert '<p class="summary">No reports counted yet for this incident.</p>' in page
    assert "peaked at about 0" not in text
    assert '<dd data-count="peak-ratio">—</dd>' in page
    assert "—×" not in page
    assert re.search(r"Time to peak</dt>\s*<dd>—</dd>", page)
    assert "No reports counted yet for this incident." in _text(
        client.get("/incidents/").content.decode()
    )


def test_the_service_page_leaves_out_a_ratio_it_cannot_compute(client, twitter, monkeypatch):
    monkeypatch.setattr(figures, "incident_peak_ratio", lambda incident: None)
    _open_incident(twitter)

    page = client.get("/s/twitter/").content.decode()

    assert "Peak so far: about 9,800 problem reports per 15 minutes." in _text(page)
    assert "peak-ratio" not in page and "—×" not in page
