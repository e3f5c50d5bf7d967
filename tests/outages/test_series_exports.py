"""The service chart's data as a download (outages/series_exports.py): CSV and JSON."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from outages.detection.timebuckets import floor_to_minute
from tests.factories import MinuteBucketFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def _bucket(service, *, minutes_ago, count):
    MinuteBucketFactory(
        service=service,
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
