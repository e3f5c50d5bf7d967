"""The incident feeds, read back by a real feed reader (feedparser): well-formed (no bozo
flag), of the declared format, with the expected entries, newest first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import feedparser
import pytest

from outages.feeds import GUID_NAMESPACE
from outages.models import Incident
from tests.factories import ServiceFactory
from tests.outages.test_feeds import feed_incidents

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents() -> dict[str, Incident]:
    """AT&T (a name that needs escaping): two public incidents and a suspicious one; Slack: one."""
    return feed_incidents(ServiceFactory(slug="att", name="AT&T <Mobile>"))


def _read(client, path: str, version: str) -> feedparser.FeedParserDict:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    feed = feedparser.parse(
        response.content, response_headers={"content-type": response["Content-Type"]}
    )
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == version
    return feed


def _ids(feed: feedparser.FeedParserDict) -> list[str]:
    return [entry.id for entry in feed.entries]


def _guid(incident: Incident) -> str:
    return f"urn:uuid:{uuid.uuid5(GUID_NAMESPACE, str(incident.pk))}"


@pytest.mark.parametrize(
    ("path", "version"), [("/incidents/feed.atom", "atom10"), ("/incidents/feed.rss", "rss20")]
)
def test_the_global_feed_reads_back_with_every_public_incident(client, incidents, path, version):
    feed = _read(client, path, version)
    assert feed.feed.title == "Incidents"
    assert _ids(feed) == [_guid(incidents[k]) for k in ("new", "slack", "old")]
    newest = feed.entries[0]
    assert newest.title == "AT&T <Mobile>: problems since 12:05 UTC"
    assert newest.link == f"http://testserver/incidents/{incidents['new'].pk}/"
    assert datetime(*newest.published_parsed[:6], tzinfo=UTC) == incidents["new"].started_at
    assert newest.summary  # the incident's one-line summary


@pytest.mark.parametrize(
    ("path", "version"), [("/s/att/feed.atom", "atom10"), ("/s/att/feed.rss", "rss20")]
)
def test_a_service_feed_reads_back_with_only_its_public_incidents(client, incidents, path, version):
    feed = _read(client, path, version)
    assert feed.feed.title == "AT&T <Mobile>: incidents"
    assert feed.feed.link == "http://testserver/s/att/"
    assert _ids(feed) == [_guid(incidents["new"]), _guid(incidents["old"])]


@pytest.mark.parametrize("path", ["/s/quiet/feed.atom", "/s/quiet/feed.rss"])
def test_a_quiet_service_has_a_valid_empty_feed(client, path):
    ServiceFactory(slug="quiet")
    feed = _read(client, path, "atom10" if path.endswith("atom") else "rss20")
    assert feed.entries == []
