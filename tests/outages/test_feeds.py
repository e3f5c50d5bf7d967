"""Atom and RSS feeds of public incidents, for all services and per service."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from outages.models import Incident, Service
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"
START = datetime(2024, 5, 2, 9, 5, tzinfo=UTC)


@pytest.fixture
def incidents():
    """Twitter: two public incidents and a suspicious one; Slack: one public incident."""
    return feed_incidents(ServiceFactory(slug="twitter", name="Twitter"))


def feed_incidents(service: Service) -> dict[str, Incident]:
    """Two public incidents and a suspicious one of `service`; one public one of Slack."""
    slack = ServiceFactory(slug="slack", name="Slack")

    def make(service, *, hours, visibility="public"):  # type: ignore[no-untyped-def]
        started = START + timedelta(hours=hours)
        return IncidentFactory(
            service=service,
            started_at=started,
            detected_at=started,
            peak_at=started,
            peak_quarter_count=120,
            visibility=visibility,
            platforms={"web": 1.0},
            scope="",
        )

    return {
        "old": make(service, hours=0),
        "new": make(service, hours=3),
        "hidden": make(service, hours=5, visibility="suspicious"),
        "slack": make(slack, hours=1),
    }


def _atom_entries(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


def _rss_items(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss"
    return root.findall("channel/item")


def test_the_global_atom_feed_lists_public_incidents_newest_first(client, incidents):
    entries = _atom_entries(client, "/incidents/feed.atom")

    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert titles == [
        "Twitter: problems since 12:05 UTC",
        "Slack: problems since 10:05 UTC",
        "Twitter: problems since 09:05 UTC",
    ]
    first = entries[0]
    new = incidents["new"]
    assert first.find(f"{ATOM}link").get("href").endswith(f"/incidents/{new.pk}/")
    assert first.findtext(f"{ATOM}published") == "2024-05-02T12:05:00+00:00"
    assert datetime.fromisoformat(first.findtext(f"{ATOM}updated")) == new.updated_at
    summary = first.findtext(f"{ATOM}summary")
    assert summary.startswith("Reports peaked at about 120 per 15 minutes near <time ")
    assert "100% web" in summary


def test_the_global_rss_feed_has_the_same_items_with_stable_guids(client, incidents, settings):
    items = _rss_items(client, "/incidents/feed.rss")

    assert [i.findtext("title") for i in items] == [
        "Twitter: problems since 12:05 UTC",
        "Slack: problems since 10:05 UTC",
        "Twitter: problems since 09:05 UTC",
    ]
    assert items[0].findtext("link").endswith(f"/incidents/{incidents['new'].pk}/")
    guids = [i.find("guid") for i in items]
    assert all(g.get("isPermaLink") == "false" and g.text.startswith("urn:uuid:") for g in guids)
    assert len({g.text for g in guids}) == 3
    again = _rss_items(client, "/incidents/feed.rss")
    assert [i.findtext("guid") for i in again] == [g.text for g in guids]
    # Served from another host, an incident keeps its guid.
    settings.ALLOWED_HOSTS = ["testserver", "mirror.example"]
    other = client.get("/incidents/feed.rss", HTTP_HOST="mirror.example")
    assert guids[0].text in other.content.decode()


def test_a_service_feed_lists_only_that_service_s_public_incidents(client, incidents):
    entries = _atom_entries(client, "/s/twitter/feed.atom")
    items = _rss_items(client, "/s/twitter/feed.rss")

    expected = [f"/incidents/{incidents[k].pk}/" for k in ("new", "old")]
    assert [e.find(f"{ATOM}link").get("href").split("testserver")[1] for e in entries] == expected
    assert [i.findtext("link").split("testserver")[1] for i in items] == expected
    assert all(i.findtext("title").startswith("Twitter: ") for i in items)


def test_suspicious_incidents_never_appear(client, incidents):
    hidden = f"/incidents/{incidents['hidden'].pk}/"
    for path in ("/incidents/feed.atom", "/incidents/feed.rss", "/s/twitter/feed.atom"):
        assert hidden not in client.get(path).content.decode()


def test_an_unknown_service_s_feed_is_404(client):
    assert client.get("/s/nope/feed.atom").status_code == 404
    assert client.get("/s/nope/feed.rss").status_code == 404


def test_feed_queries_are_bounded(client, incidents, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):  # the incidents with their services
        assert client.get("/incidents/feed.atom").status_code == 200
    with django_assert_max_num_queries(2):  # the service, its incidents
        assert client.get("/s/twitter/feed.rss").status_code == 200


def test_pages_link_their_feeds_in_the_head(client, incidents):
    service_page = client.get("/s/twitter/").content.decode()
    list_page = client.get("/incidents/").content.decode()

    head = service_page.split("</head>")[0]
    assert 'rel="alternate" type="application/atom+xml"' in head
    assert 'href="/s/twitter/feed.atom"' in head and 'href="/s/twitter/feed.rss"' in head
    head = list_page.split("</head>")[0]
    assert 'type="application/atom+xml"' in head and 'href="/incidents/feed.atom"' in head
