"""Reading the three formats, from payloads shaped like each one's public documentation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from outages.official.formats import BadPayload, parse
from tests.official.conftest import payload_text

NOW = datetime(2026, 12, 7, 8, 40, tzinfo=UTC)
ANNOUNCED = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def payload(name: str, announced: datetime = ANNOUNCED) -> bytes:
    return payload_text(name, announced)


def test_a_statuspage_summary_gives_its_indicator_and_unresolved_incident() -> None:
    snapshot = parse("statuspage", payload("statuspage_incident.json"), now=NOW)
    assert snapshot.indicator == "major"
    assert snapshot.description == "Partial System Outage"
    assert snapshot.current is not None
    assert snapshot.current.title == "Disruption with some GitHub services"
    assert snapshot.current.announced_at == ANNOUNCED
    assert snapshot.current.url == "https://stspg.io/p0k7yvbn1xfr"


def test_a_quiet_statuspage_summary_reads_operational() -> None:
    snapshot = parse("statuspage", payload("statuspage_ok.json"), now=NOW)
    assert (snapshot.indicator, snapshot.current) == ("none", None)


def test_a_component_filter_keeps_only_those_components_and_their_incidents() -> None:
    git = parse(
        "statuspage", payload("statuspage_incident.json"), components=["Git Operations"], now=NOW
    )
    assert git.indicator == "none"
    assert git.current is None
    actions = parse(
        "statuspage", payload("statuspage_incident.json"), components=["actions"], now=NOW
    )
    assert actions.indicator == "major"
    assert actions.description == "Actions: partial_outage"
    assert actions.current is not None


def test_a_component_filter_naming_nothing_on_the_page_is_a_bad_payload() -> None:
    with pytest.raises(BadPayload, match="Pages"):
        parse("statuspage", payload("statuspage_ok.json"), components=["Pages"], now=NOW)


def test_an_rss_feed_entry_is_ongoing_until_it_says_resolved_or_grows_old() -> None:
    snapshot = parse("feed", payload("aws_rss.xml"), now=NOW)
    assert snapshot.indicator == "minor"
    assert snapshot.current is not None
    assert snapshot.current.title == "Informational message: Increased API Error Rates"
    assert snapshot.current.announced_at == ANNOUNCED
    resolved = [item for item in snapshot.items if item.resolved]
    assert [item.title for item in resolved] == [
        "Service is operating normally: [RESOLVED] Elevated launch failures"
    ]
    later = parse("feed", payload("aws_rss.xml"), now=NOW + timedelta(hours=7))
    assert later.indicator == "none"


def test_an_atom_history_feed_is_read_like_rss() -> None:
    snapshot = parse("feed", payload("statuspage_history.atom"), now=NOW)
    assert snapshot.indicator == "minor"
    assert snapshot.current is not None
    assert snapshot.current.url == "https://status.example.com/incidents/k2l3m4n5"
    assert len(snapshot.items) == 2


def test_an_instatus_summary_is_read_as_documented() -> None:
    """instatus.com/help/api/public-data: no incident id, `started` as JavaScript writes a
    Date; the incident's URL stands for its id."""
    snapshot = parse("instatus", payload("instatus_incident.json"), now=NOW)
    assert snapshot.indicator == "critical"
    [item] = snapshot.items
    assert (item.title, item.announced_at, item.resolved) == ("Login failures", ANNOUNCED, False)
    assert item.external_id == item.url == "https://example.instatus.com/incident/clq1x2y3z0001abcd"
    assert snapshot.current == item
    assert parse("instatus", payload("instatus_ok.json"), now=NOW).indicator == "none"


def instatus_page(status: str, impact: str | None = None, maintenance: str = "") -> bytes:
    incidents = []
    if impact:
        incidents.append(
            {
                "name": "Slow",
                "started": "2026-12-07T08:30:00.000Z",
                "status": "IDENTIFIED",
                "impact": impact,
                "url": "https://x.instatus.com/incident/a1",
            }
        )
    maintenances = [{"name": "DB", "start": "2026-12-07T08:00:00.000Z", "status": maintenance}]
    return json.dumps(
        {
            "page": {"name": "X", "url": "https://x.instatus.com", "status": status},
            "activeIncidents": incidents,
            "activeMaintenances": maintenances if maintenance else [],
        }
    ).encode()


@pytest.mark.parametrize(
    ("body", "indicator"),
    [
        (instatus_page("HASISSUES", "DEGRADEDPERFORMANCE"), "minor"),
        (instatus_page("HASISSUES", "PARTIALOUTAGE"), "major"),
        (instatus_page("HASISSUES", "MINOROUTAGE"), "major"),
        (instatus_page("HASISSUES", "MAJOROUTAGE"), "critical"),
        (instatus_page("HASISSUES", "OPERATIONAL"), "minor"),  # the page's word is the floor
        (instatus_page("HASISSUES"), "minor"),
        (instatus_page("UNDERMAINTENANCE"), "maintenance"),
        (instatus_page("UP", maintenance="INPROGRESS"), "maintenance"),
        (instatus_page("UP", maintenance="NOTSTARTEDYET"), "none"),
        (instatus_page("SOMEPARTIALOUTAGE"), "major"),  # the management API's page statuses
        (instatus_page("ALLMAJOROUTAGE"), "critical"),
    ],
)
def test_instatus_statuses_map_to_indicators(body: bytes, indicator: str) -> None:
    assert parse("instatus", body, now=NOW).indicator == indicator


def test_a_statuspage_incident_naming_no_component_follows_the_chosen_components() -> None:
    """The documented summary example lists no components on its incidents: under a filter,
    such an incident is kept while a chosen component has a problem."""
    data = json.loads(payload("statuspage_incident.json"))
    for incident in data["incidents"]:
        del incident["components"]
        for update in incident["incident_updates"]:
            update["affected_components"] = None
    body = json.dumps(data).encode()
    assert parse("statuspage", body, components=["Actions"], now=NOW).current is not None
    assert parse("statuspage", body, components=["Git Operations"], now=NOW).current is None
    # With the components named only in an update, the incident goes where they say.
    data["incidents"][0]["incident_updates"][0]["affected_components"] = [
        {"code": "8l4ygp009s5s", "name": "Git Operations"}
    ]
    named = json.dumps(data).encode()
    assert parse("statuspage", named, components=["Git Operations"], now=NOW).current is not None


def rss(*titles: str, description: str = "We are investigating.", category: str = "") -> bytes:
    stamp = format_datetime(ANNOUNCED)
    items = "".join(
        f"<item><title>{title}</title><link>https://status.example.com/</link>"
        f"<pubDate>{stamp}</pubDate><guid>id-{n}</guid><description>{description}</description>"
        + (f"<category>{category}</category>" if category else "")
        + "</item>"
        for n, title in enumerate(titles)
    )
    return f'<rss version="2.0"><channel><title>S</title>{items}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("title", "impact"),
    [
        ("Service disruption: Instances unreachable", "major"),
        ("Performance issues: Increased latencies", "minor"),
        ("Informational message: Increased API Error Rates", "minor"),
        ("Major outage of the control plane", "critical"),
        ("Storage unavailable in West Europe", "major"),
        ("Partial outage of sign-in", "major"),
        ("Degraded performance for Git Operations", "minor"),
        ("Scheduled maintenance of the database", "maintenance"),
        ("Something about Pages", "minor"),  # no word to go by: a problem of unknown size
    ],
)
def test_a_feed_entry_takes_its_impact_from_its_title(title: str, impact: str) -> None:
    snapshot = parse("feed", rss(title, description="Details follow."), now=NOW)
    assert [item.impact for item in snapshot.items] == [impact]
    assert snapshot.indicator == impact


def test_a_feed_entry_with_a_plain_title_takes_its_impact_from_its_category_then_text() -> None:
    assert parse("feed", rss("Sign-in", category="Outage"), now=NOW).indicator == "major"
    text_only = rss("Sign-in", description="Some users see a service disruption.")
    assert parse("feed", text_only, now=NOW).indicator == "major"


def test_a_feed_shows_its_worst_ongoing_entry_and_none_once_all_are_over() -> None:
    both = rss("Performance issues: slow", "Service disruption: down")
    assert parse("feed", both, now=NOW).indicator == "major"
    over = rss("Service is operating normally: [RESOLVED] down")
    snapshot = parse("feed", over, now=NOW)
    assert (snapshot.indicator, snapshot.items[0].resolved) == ("none", True)


@pytest.mark.parametrize(
    ("kind", "body", "content_type", "reason"),
    [
        ("statuspage", b"<!DOCTYPE html><html>503</html>", "text/html", "HTML page"),
        ("statuspage", b'{"page": {"id": "x", "name": "Git', "application/json", "invalid JSON"),
        ("statuspage", b"[1, 2]", "application/json", "not an object"),
        ("statuspage", b'{"page": {}}', "application/json", "no status.indicator"),
        ("instatus", b'{"page": {"status": "SOMETIMES"}}', "application/json", "page.status"),
        ("feed", b"<html><body>hi</body></html>", "text/html", "an HTML page, not a feed"),
        ("feed", b"<!DOCTYPE html><html>503</html>", "", "an HTML page, not a feed"),
        ("feed", b"<urlset><url/></urlset>", "application/xml", "neither RSS nor Atom"),
        ("instatus", b"<!DOCTYPE html><html>503</html>", "text/html", "HTML page"),
        ("instatus", b'{"page": {"name": "Exa', "application/json", "invalid JSON"),
        ("feed", b"<rss><channel><item>", "application/xml", "not well-formed"),
        ("statuspage", b"\xff\xfe{}", "application/json", "invalid JSON"),
    ],
)
def test_a_bad_payload_is_refused_with_its_reason(
    kind: str, body: bytes, content_type: str, reason: str
) -> None:
    with pytest.raises(BadPayload, match=reason):
        parse(kind, body, content_type=content_type, now=NOW)


def test_a_feed_with_entity_expansion_is_refused_not_expanded() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<rss><channel><title>&lol2;</title></channel></rss>"
    )
    with pytest.raises(BadPayload, match="forbidden XML"):
        parse("feed", bomb, now=NOW)
    external = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><title>&x;</title></channel></rss>"
    )
    with pytest.raises(BadPayload, match="forbidden XML"):
        parse("feed", external, now=NOW)
