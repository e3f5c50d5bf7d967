"""Reading the three formats, from payloads shaped like each one's public documentation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from outages.official.formats import BadPayload, parse
from tests.official.conftest import PAYLOADS

NOW = datetime(2026, 12, 7, 8, 40, tzinfo=UTC)
ANNOUNCED = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)


def payload(name: str, announced: datetime = ANNOUNCED) -> bytes:
    text = (PAYLOADS / name).read_text()
    from email.utils import format_datetime

    return (
        text.replace("__ANNOUNCED_RFC822__", format_datetime(announced))
        .replace("__ANNOUNCED_EPOCH__", str(int(announced.timestamp())))
        .replace("__ANNOUNCED__", announced.isoformat().replace("+00:00", "Z"))
        .encode()
    )


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


def test_an_instatus_summary_maps_its_impacts() -> None:
    snapshot = parse("instatus", payload("instatus_incident.json"), now=NOW)
    assert snapshot.indicator == "critical"
    assert snapshot.current is not None and snapshot.current.title == "Login failures"
    assert parse("instatus", payload("instatus_ok.json"), now=NOW).indicator == "none"


@pytest.mark.parametrize(
    ("kind", "body", "content_type", "reason"),
    [
        ("statuspage", b"<!DOCTYPE html><html>503</html>", "text/html", "HTML page"),
        ("statuspage", b'{"page": {"id": "x", "name": "Git', "application/json", "invalid JSON"),
        ("statuspage", b"[1, 2]", "application/json", "not an object"),
        ("statuspage", b'{"page": {}}', "application/json", "no status.indicator"),
        ("instatus", b'{"page": {"status": "SOMETIMES"}}', "application/json", "page.status"),
        ("feed", b"<html><body>hi</body></html>", "text/html", "neither RSS nor Atom"),
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
