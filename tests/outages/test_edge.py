"""The hot public reads from the cache: a burst of conditional requests to the status JSON,
the badge, the embed page, widget.js and the series is answered 304 without one query; a
repeated read too; a change of status (the detection pass, a saved row, a deactivated
service) is seen at once; an unknown slug still answers its 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outages import status_cache
from outages.detection.timebuckets import MINUTE
from outages.services.baselines import baselines_fit
from outages.services.detection import detection_pass
from tests.factories import ServiceFactory, ServiceStatusFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 18, 20, 0, 30, tzinfo=UTC)
HOT = [
    "/api/v1/services/twitter",
    "/badge/twitter.svg",
    "/badge/twitter.svg?label=X&theme=dark",
    "/badge/twitter.json",
    "/embed/twitter/",
    "/embed/twitter/?theme=dark&lang=fr&compact=1&origin=https://blog.example",
    "/api/v1/services/twitter/series",
    "/api/v1/services/twitter/series?range=7d&platform=web",
    "/s/twitter/series.json",
    "/s/twitter/series.csv?range=30d",
]
BURST = 20


@pytest.fixture
def twitter():
    with time_machine.travel(NOW, tick=False):
        service = ServiceFactory(slug="twitter", name="Twitter")
        ServiceStatusFactory(
            service=service, minute=NOW, level=1, recent=12, expected=3.0, sparkline=[1, 4, 2]
        )
        yield service


@pytest.mark.parametrize("path", [*HOT, "/widget.js"])
def test_a_burst_of_conditional_requests_is_answered_304_without_a_query(
    client, twitter, path, django_assert_num_queries
):
    first = client.get(path)
    assert first.status_code == 200
    etag = first["ETag"]

    with django_assert_num_queries(0):
        answers = [client.get(path, HTTP_IF_NONE_MATCH=etag) for _ in range(BURST)]

    assert {a.status_code for a in answers} == {304}
    assert {a["ETag"] for a in answers} == {etag}
    assert all(a.content == b"" for a in answers)
    assert answers[0]["Cache-Control"] == first["Cache-Control"]
    assert path == "/widget.js" or answers[0]["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", HOT)
def test_a_repeated_read_comes_from_the_cache_with_the_same_body_and_headers(
    client, twitter, path, django_assert_num_queries
):
    first = client.get(path, HTTP_ORIGIN="https://blog.example")

    with django_assert_num_queries(0):
        again = client.get(path)
        head = client.head(path)

    assert again.status_code == head.status_code == 200
    assert again.content == first.content and head.content == b""
    for name in (
        "Content-Type",
        "ETag",
        "Cache-Control",
        "Content-Security-Policy",
        "Access-Control-Allow-Origin",
        "X-Content-Type-Options",
    ):
        assert again[name] == first[name], name
    assert ("X-Frame-Options" in again) == ("X-Frame-Options" in first)
    assert not again.cookies


def test_a_conditional_request_on_a_cold_cache_gets_its_304_and_warms_it(
    client, twitter, django_assert_num_queries
):
    etag = client.get("/badge/twitter.svg")["ETag"]
    cache.clear()
    with django_assert_num_queries(1):  # the status summary, read through once
        cold = client.get("/badge/twitter.svg", HTTP_IF_NONE_MATCH=etag)
    with django_assert_num_queries(0):
        warm = client.get("/badge/twitter.svg", HTTP_IF_NONE_MATCH=etag)

    assert cold.status_code == warm.status_code == 304


def test_a_stale_etag_gets_the_new_answer(client, twitter):
    etag = client.get("/api/v1/services/twitter")["ETag"]
    status = twitter.status
    status.level = 2
    status.save()

    response = client.get("/api/v1/services/twitter", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response.json()["status"]["status"] == "problems"
    assert response["ETag"] != etag


def test_the_detection_pass_refreshes_the_cached_status(
    client, django_assert_num_queries, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False):
        ServiceFactory(slug="chirp", name="Chirp")
        before = client.get("/api/v1/services/chirp")
        assert before.json()["status"] is None
        baselines_fit(now=NOW)
        with django_capture_on_commit_callbacks(execute=True):
            detection_pass(now=NOW.replace(second=0) + MINUTE + timedelta(seconds=5))

        # The pass wrote the summary into the cache: not even the miss reads the database.
        with django_assert_num_queries(0):
            after = client.get("/api/v1/services/chirp", HTTP_IF_NONE_MATCH=before["ETag"])
            badge = client.get("/badge/chirp.json")

    assert after.status_code == 200
    assert after.json()["status"]["level"] == 0
    assert badge.json()["message"] == "no problems"


def test_a_series_is_recomputed_when_the_minute_turns(client, twitter):
    with time_machine.travel(NOW, tick=False) as clock:
        client.get("/s/twitter/series.json")
        clock.shift(60)
        with CaptureQueriesContext(connection) as queries:
            later = client.get("/s/twitter/series.json")

    assert later.status_code == 200
    assert len(queries) >= 1
    assert later.json()["points"][-1]["time"] == "2026-11-18T20:01:00Z"


def test_an_unknown_slug_still_404s_as_problem_details_also_from_the_cache(
    client, django_assert_num_queries
):
    first = client.get("/api/v1/services/nope")
    with django_assert_num_queries(0):
        again = client.get("/api/v1/services/nope")
        badge = client.get("/badge/nope.svg")
        badge_again = client.get("/badge/nope.svg")

    for response in (first, again):
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    assert badge.status_code == badge_again.status_code == 404
    assert b"not found" in badge_again.content


def test_a_new_or_deactivated_service_is_seen_at_once(client):
    assert client.get("/embed/later/").status_code == 404
    service = ServiceFactory(slug="later", name="Later")
    assert client.get("/embed/later/").status_code == 200

    service.is_active = False
    service.save()

    assert client.get("/embed/later/").status_code == 404
    assert client.get("/api/v1/services/later").status_code == 404


def test_a_write_is_never_served_from_the_cache(client, twitter, database_buffer):
    client.get("/embed/twitter/")

    response = client.post("/embed/twitter/token", "{}", content_type="application/json")

    assert response.status_code == 200 and "token" in response.json()


def test_the_embed_page_is_the_same_for_every_visitor_now(client, twitter):
    first = client.get("/embed/twitter/", HTTP_ACCEPT_LANGUAGE="fr")
    second = client.get("/embed/twitter/", HTTP_COOKIE="django_language=fr")

    assert first.content == second.content
    assert "Accept-Language" not in first.get("Vary", "")


def test_an_evicted_version_key_is_stored_again_on_the_next_miss(client, twitter):
    client.get("/badge/twitter.svg")
    cache.delete(status_cache.VERSION_KEY + "twitter")

    client.get("/badge/twitter.svg")

    assert cache.get(status_cache.VERSION_KEY + "twitter") == cache.get("status:twitter").version
