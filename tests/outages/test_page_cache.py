"""The page cache (outages/page_cache.py): the public pages are the same bytes for every
anonymous visitor, served from the cache with an ETag, never to a signed-in moderator, never
with a cookie, and out of date as soon as what they show changes."""

from __future__ import annotations

import gzip
import threading

import pytest
from django.test import Client

from comments.services import comments_moderate
from common import metrics
from outages import page_cache
from outages import views as outages_views
from outages.status_cache import status_summaries_refresh
from tests.factories import CommentFactory, IncidentFactory, ServiceFactory, ServiceStatusFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


@pytest.fixture
def pages(twitter):
    incident = IncidentFactory(service=twitter)
    return [
        "/",
        "/s/twitter/",
        f"/incidents/{incident.pk}/",
        "/incidents/",
        "/region/FR/",
        "/search?q=zzqq",
        "/about/",
    ]


def visitor(number: int, **headers: str) -> Client:
    return Client(
        REMOTE_ADDR=f"192.0.2.{number}",
        HTTP_USER_AGENT=f"Mozilla/5.0 (visitor {number}; iPhone)",
        HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9" if number % 2 else "en-US",
        **headers,
    )


def test_two_anonymous_visitors_get_identical_bytes(pages):
    for path in pages:
        first, second = visitor(1).get(path), visitor(2).get(path)

        assert first.status_code == 200, path
        assert first.content == second.content, path
        assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit"), path
        assert b"csrfmiddlewaretoken" not in first.content, path


def test_a_cached_page_never_carries_a_cookie_and_says_how_to_cache_it(pages):
    for path in pages:
        for response in (visitor(1).get(path), visitor(2).get(path)):
            assert not response.cookies, path
            assert "Set-Cookie" not in response.headers, path
            control = response["Cache-Control"]
            assert "public" in control and "s-maxage=" in control, path
            assert "stale-while-revalidate=" in control, path
            assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}


def test_a_signed_in_moderator_never_gets_a_cached_page(pages, admin_client):
    for path in pages:
        visitor(1).get(path)  # stored

        response = admin_client.get(path)

        assert "X-Page-Cache" not in response, path
        assert "private" in response["Cache-Control"], path


def test_a_moderator_s_page_is_never_stored_for_others(twitter, admin_client):
    admin_client.get("/s/twitter/")

    assert visitor(1).get("/s/twitter/")["X-Page-Cache"] == "miss"


def test_a_reader_with_a_message_to_read_gets_a_fresh_page(twitter):
    visitor(1).get("/s/twitter/")
    client = visitor(2, HTTP_SEC_FETCH_SITE="same-origin")
    client.post("/s/twitter/report/", {"problem": "login", "platform": "web"})

    response = client.get("/s/twitter/")

    assert "X-Page-Cache" not in response
    assert b"Thank you: your report about Twitter is counted." in response.content


def test_a_matching_etag_is_answered_304_from_the_cache(twitter):
    etag = visitor(1).get("/s/twitter/")["ETag"]

    response = visitor(2).get("/s/twitter/", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""
    assert response["X-Page-Cache"] == "hit" and response["ETag"] == etag
    assert visitor(3).get("/s/twitter/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_a_browser_gets_the_stored_gzip_and_another_client_the_same_page_inflated(twitter):
    plain = visitor(1).get("/s/twitter/")

    zipped = visitor(2).get("/s/twitter/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")

    assert zipped["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzip.decompress(zipped.content) == plain.content
    assert int(zipped["Content-Length"]) == len(zipped.content) < len(plain.content) / 3
    assert "Accept-Encoding" in zipped["Vary"]


def test_a_conditional_first_request_is_stored_and_answered(twitter):
    response = visitor(1).get("/s/twitter/", HTTP_IF_NONE_MATCH='"unknown"')

    assert response.status_code == 200 and response["X-Page-Cache"] == "miss"
    assert visitor(2).get("/s/twitter/")["X-Page-Cache"] == "hit"


def test_each_language_has_its_own_page(twitter):
    english = visitor(1).get("/s/twitter/", HTTP_ACCEPT_LANGUAGE="en")
    french = visitor(2).get("/s/twitter/", HTTP_ACCEPT_LANGUAGE="fr")

    assert french["X-Page-Cache"] == "miss"
    assert b'<html lang="fr">' in french.content and b'<html lang="en">' in english.content


def test_each_chart_range_and_filter_has_its_own_page(twitter):
    day = visitor(1).get("/s/twitter/")
    week = visitor(2).get("/s/twitter/?range=7d")
    games = visitor(3).get("/?category=gaming&country=fr")

    assert day["X-Page-Cache"] == week["X-Page-Cache"] == games["X-Page-Cache"] == "miss"
    assert visitor(4).get("/s/twitter/?range=7d")["X-Page-Cache"] == "hit"
    assert visitor(5).get("/?country=FR&category=gaming")["X-Page-Cache"] == "hit"


def test_parameters_the_page_does_not_read_are_served_its_page(twitter):
    """A tracking tag or a random cache-buster cannot make every request render."""
    visitor(1).get("/s/twitter/")

    for junk in ("?utm_source=news", "?x=8f3a91", "?range=forever", "?range=24h&v=2"):
        response = visitor(2).get(f"/s/twitter/{junk}")
        assert response["X-Page-Cache"] == "hit", junk


def test_a_page_that_does_not_exist_is_never_stored(twitter):
    """Requests for random slugs would fill the cache: a 404 renders each time (cheaply)."""
    first = visitor(1).get("/s/no-such-service/")
    second = visitor(2).get("/s/no-such-service/")

    assert first.status_code == second.status_code == 404
    assert "X-Page-Cache" not in second


def test_a_new_incident_shows_after_the_detection_pass_s_refresh(
    twitter, django_capture_on_commit_callbacks
):
    assert b"Happening now" in visitor(1).get("/").content
    before = visitor(1).get("/incidents/").content

    with django_capture_on_commit_callbacks(execute=True):
        incident = IncidentFactory(service=twitter)
        ServiceStatusFactory(service=twitter, minute=incident.started_at, level=2)
    status_summaries_refresh(service_ids=[twitter.id])

    after = visitor(2).get("/incidents/")
    assert after["X-Page-Cache"] == "miss"
    assert after.content != before
    assert f"/incidents/{incident.pk}/".encode() in after.content


def test_an_approved_comment_shows_at_once(twitter, django_capture_on_commit_callbacks):
    comment = CommentFactory(service=twitter, text="Login fails in Lyon too.")
    assert b"Login fails in Lyon too." not in visitor(1).get("/s/twitter/").content

    with django_capture_on_commit_callbacks(execute=True):
        comments_moderate(actor=None, ids=[comment.pk], action="approve", now=comment.created_at)

    page = visitor(2).get("/s/twitter/")
    assert page["X-Page-Cache"] == "miss"
    assert b"Login fails in Lyon too." in page.content


def test_a_moderator_s_note_shows_at_once(twitter, django_capture_on_commit_callbacks):
    incident = IncidentFactory(service=twitter)
    path = f"/incidents/{incident.pk}/"
    visitor(1).get(path)

    with django_capture_on_commit_callbacks(execute=True):
        incident.public_note = "The provider confirmed a login outage."
        incident.save(update_fields=["public_note"])

    assert b"The provider confirmed a login outage." in visitor(2).get(path).content


def test_another_service_s_comment_leaves_this_page_cached(twitter):
    visitor(1).get("/s/twitter/")

    page_cache.pages_changed(slug="other")

    assert visitor(2).get("/s/twitter/")["X-Page-Cache"] == "hit"


def test_a_stampede_on_an_expired_page_renders_it_once(twitter, monkeypatch):
    """Fifty requests at once for a page whose version changed: one renders, the others are
    answered with the stale page meanwhile; then fifty for a page never rendered: they wait
    for the one rendering. (make bench runs 500 against gunicorn.)"""
    render = outages_views.render
    answers: list[str] = []
    others_answered = threading.Event()
    hold = {"seconds": 0.3}

    def slow_render(*args, **kwargs):
        # Held open while the other 49 arrive: until they are all answered (with the stale
        # page), or for 0.3 s when they can only wait for this render (nothing stored yet).
        others_answered.wait(timeout=hold["seconds"])
        return render(*args, **kwargs)

    monkeypatch.setattr(outages_views, "render", slow_render)

    def answer(path: str) -> None:
        answers.append(visitor(1).get(path)["X-Page-Cache"])
        if len(answers) == 49:
            others_answered.set()

    def stampede(path: str) -> tuple[float, set[str]]:
        before = metrics.page_renders._value.get()
        answers.clear()
        others_answered.clear()
        threads = [threading.Thread(target=answer, args=(path,)) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(answers) == 50
        return metrics.page_renders._value.get() - before, set(answers)

    assert stampede("/about/") == (1, {"miss", "hit"})  # nothing stored yet: they wait
    page_cache.pages_changed()  # out of date
    hold["seconds"] = 10.0  # (a bound: the others are answered at once)
    renders, outcomes = stampede("/about/")
    assert renders == 1 and "stale" in outcomes and outcomes <= {"miss", "stale", "hit"}
