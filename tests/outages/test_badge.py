"""Status badges (SVG and the shields.io endpoint) and the chart's data as CSV and JSON."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from outages import badges
from outages.detection.timebuckets import floor_to_minute
from outages.models import MinuteBucket, ServiceStatus
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def _status(service, level):
    ServiceStatus.objects.create(service=service, minute=timezone.now(), level=level)


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
    MinuteBucket.objects.create(
        service=twitter,
        minute=floor_to_minute(timezone.now()),
        kind="problem",
        platform="web",
        problem="login",
        country="US",
        count=5,
    )
    for path in ("/badge/twitter.svg", "/badge/twitter.json"):
        with django_assert_max_num_queries(1):
            assert client.get(path).status_code == 200


# --- The chart's data as a download -------------------------------------------------------------


def _bucket(service, *, minutes_ago, count):
    MinuteBucket.objects.create(
        service=service,
        kind="problem",
        platform="web",
        country="US",
        problem="login",
        count=count,
        minute=floor_to_minute(timezone.now()) - timedelta(minutes=minutes_ago),
    )


def test_the_csv_is_zero_filled_with_the_last_minute_partial(client, twitter, midday):
    _bucket(twitter, minutes_ago=0, count=4)
    _bucket(twitter, minutes_ago=30, count=7)

    response = client.get("/s/twitter/series.csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="twitter-24h')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["time", "reports", "expected", "lower", "upper", "partial"]
    assert len(rows) == 24 * 60
    assert [r["partial"] for r in rows].count("true") == 1 and rows[-1]["partial"] == "true"
    assert (rows[-1]["reports"], rows[-31]["reports"], rows[-2]["reports"]) == ("4", "7", "0")
    assert sum(int(r["reports"]) for r in rows) == 11
    times = [datetime.fromisoformat(r["time"]) for r in rows]
    assert rows[0]["time"].endswith("Z") and times[-1].tzinfo == UTC
    assert all(b - a == timedelta(minutes=1) for a, b in zip(times, times[1:], strict=False))
    assert times[-1] == floor_to_minute(timezone.now())
    assert float(rows[0]["lower"]) <= float(rows[0]["expected"]) <= float(rows[0]["upper"])


@pytest.mark.parametrize(("range_name", "slots", "seconds"), [("7d", 672, 900), ("30d", 720, 3600)])
def test_the_json_follows_the_range(client, twitter, midday, range_name, slots, seconds):
    _bucket(twitter, minutes_ago=0, count=2)

    data = client.get("/s/twitter/series.json", {"range": range_name}).json()

    assert (data["service"], data["range"], data["resolution_seconds"]) == (
        "twitter",
        range_name,
        seconds,
    )
    points = data["points"]
    assert len(points) == slots and points[-1]["partial"] is True
    assert not any(p["partial"] for p in points[:-1])
    assert points[-1]["reports"] == 2 and sum(p["reports"] for p in points) == 2
    assert set(points[0]) == set(data["columns"])


def test_series_downloads_are_cacheable_and_refuse_an_unknown_range(client, twitter):
    response = client.get("/s/twitter/series.json")
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    again = client.get("/s/twitter/series.json", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert client.get("/s/twitter/series.csv", {"range": "1y"}).status_code == 400
    assert client.get("/s/nope/series.csv").status_code == 404


def test_series_download_queries_are_bounded(client, twitter, django_assert_max_num_queries):
    for minutes_ago in range(0, 600, 3):
        _bucket(twitter, minutes_ago=minutes_ago, count=2)
    for range_name in ("24h", "7d", "30d"):
        for fmt in ("csv", "json"):
            # The service, its baseline, the series: its complete intervals (kept briefly)
            # and the one now falls in.
            with django_assert_max_num_queries(4):
                response = client.get(f"/s/twitter/series.{fmt}", {"range": range_name})
            assert response.status_code == 200
