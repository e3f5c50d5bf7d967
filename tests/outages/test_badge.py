"""Status badges: the SVG and the shields.io endpoint."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from outages import badges
from tests.factories import MinuteBucketFactory, ServiceFactory, ServiceStatusFactory

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def _status(service, level):
    ServiceStatusFactory(service=service, level=level)


def _texts(svg: bytes) -> list[str]:
    """The badge's visible texts (each is drawn twice: shadow, then text)."""
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]


@pytest.mark.parametrize(
    ("level", "message", "color"),
    [(0, "no problems", "#4c1"), (1, "possible problems", "#fe7d37"), (2, "problems", "#e05d44")],
)
def test_the_badge_says_the_status_level_in_its_colour(client, twitter, level, message, color):
    _status(twitter, level)

    response = client.get("/badge/twitter.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert _texts(response.content) == ["Twitter", message]
    assert root.find(f"{SVG}title").text == f"Twitter: {message}"
    assert root.get("role") == "img" and root.get("aria-label") == f"Twitter: {message}"
    fills = [rect.get("fill") for rect in root.iter(f"{SVG}rect")]
    assert color in fills and "#555" in fills
    assert root.find(f"{SVG}clipPath/{SVG}rect").get("rx") == "3"


def test_a_service_not_yet_scored_shows_no_problems(client, twitter):
    assert _texts(client.get("/badge/twitter.svg").content) == ["Twitter", "no problems"]


def test_the_badge_widths_follow_the_texts():
    short = ET.fromstring(badges.badge_svg_text(label="X", message="problems", color="#e05d44"))
    long = ET.fromstring(
        badges.badge_svg_text(label="WWWWWWWW", message="problems", color="#e05d44")
    )
    assert int(long.get("width")) > int(short.get("width")) + 50
    assert badges.text_width("iiii") < badges.text_width("MMMM")


def test_the_label_option_is_escaped_and_cut(client, twitter):
    response = client.get("/badge/twitter.svg", {"label": "<script>alert(1)</script>" * 5})

    body = response.content.decode()
    assert "<script" not in body and "&lt;script&gt;" in body
    label = _texts(response.content)[0]  # still well-formed XML, the text intact but cut
    assert label == ("<script>alert(1)</script>" * 5)[: badges.LABEL_MAX]


def test_the_dark_theme_darkens_the_label_box(client, twitter):
    for query in ({"theme": "dark"}, {"style": "dark"}):
        root = ET.fromstring(client.get("/badge/twitter.svg", query).content)
        assert "#1f2328" in [rect.get("fill") for rect in root.iter(f"{SVG}rect")]
    unknown = ET.fromstring(client.get("/badge/twitter.svg", {"theme": "flat"}).content)
    assert "#555" in [rect.get("fill") for rect in unknown.iter(f"{SVG}rect")]


def test_the_json_endpoint_follows_the_shields_schema(client, twitter):
    _status(twitter, 1)

    response = client.get("/badge/twitter.json")
    custom = client.get("/badge/twitter.json", {"label": "<b>X</b>"}).json()

    assert response.json() == {
        "schemaVersion": 1,
        "label": "Twitter",
        "message": "possible problems",
        "color": "orange",
    }
    assert custom["label"] == "<b>X</b>"  # JSON carries text; shields escapes when drawing


@pytest.mark.parametrize("path", ["/badge/twitter.svg", "/badge/twitter.json"])
def test_badges_are_cacheable_for_a_minute_from_any_origin(client, twitter, path):
    first = client.get(path, headers={"Origin": "https://example.org"})
    etag = first["ETag"]

    assert first["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert first["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in first
    assert "Set-Cookie" not in first and etag.startswith('"')

    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Access-Control-Allow-Origin"] == "*"

    _status(twitter, 2)
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.parametrize("path", ["/badge/nope.svg", "/badge/nope.json"])
def test_an_unknown_or_inactive_service_s_badge_is_404(client, path):
    ServiceFactory(slug="gone", is_active=False)
    assert client.get(path).status_code == 404
    assert client.get(path.replace("nope", "gone")).status_code == 404


def test_a_badge_reads_the_status_row_only(client, twitter, django_assert_max_num_queries):
    _status(twitter, 2)
    MinuteBucketFactory(service=twitter, count=5)
    for path in ("/badge/twitter.svg", "/badge/twitter.json"):
        with django_assert_max_num_queries(1):
            assert client.get(path).status_code == 200
