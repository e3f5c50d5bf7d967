"""The moderation home: what waits for a moderator, counted on the page, in the JSON the pages
poll and on the admin's index, with one menu on every moderation page."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.utils import timezone

from moderation.panel.counts import pending_counts
from outages.models import Incident
from tests.comments.helpers import make_comment
from tests.factories import CommentFlagFactory, IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def busy_night():
    """Two pending comments, one hidden by flags, one public with a personal-data flag, one
    approved and quiet; a suspicious and a public incident to review, one confirmed, one
    dismissed."""
    service = ServiceFactory(slug="twitter", name="Twitter")
    make_comment(service)
    make_comment(service)
    make_comment(service, state="flagged", open_flags=3)
    flagged = make_comment(service, state="approved", open_flags=1)
    CommentFlagFactory(comment=flagged, fingerprint="f", reason="personal_data")
    make_comment(service, state="approved")
    IncidentFactory(visibility=Incident.Visibility.SUSPICIOUS)
    IncidentFactory()
    IncidentFactory(review=Incident.Review.CONFIRMED)
    IncidentFactory(review=Incident.Review.DISMISSED, visibility=Incident.Visibility.RETRACTED)
    return service


EXPECTED = {
    "comments_to_review": 4,
    "comments_flagged": 2,
    "personal_data_flags": 1,
    "incidents_suspicious": 1,
    "incidents_unreviewed": 2,
    "bursts_new": 0,
}


def test_the_counts_say_what_waits_for_a_moderator(busy_night):
    assert pending_counts(now=timezone.now()).as_dict() == EXPECTED


def test_the_counts_endpoint_answers_json_that_is_never_cached(busy_night, moderator_client):
    response = moderator_client.get("/moderation/counts.json")

    assert response.status_code == 200
    assert response.json() == EXPECTED
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_home_shows_each_count_with_a_link_to_its_queue(busy_night, moderator_client):
    page = moderator_client.get("/moderation/").content.decode()

    assert '<strong data-count="comments_to_review">4</strong>' in page
    assert '<strong data-count="personal_data_flags">1</strong>' in page
    assert 'href="/moderation/comments/?view=review&amp;reason=personal_data"' in page
    assert 'href="/moderation/incidents/?show=suspicious"' in page
    assert 'src="/static/moderation/panel.js"' in page and "<script>" not in page
    assert 'id="new-items"' in page


def test_every_moderation_page_wears_the_same_menu(busy_night, moderator_client):
    incident = Incident.objects.first()
    for url in (
        "/moderation/",
        "/moderation/comments/",
        "/moderation/bursts/",
        "/moderation/incidents/",
        f"/moderation/incidents/{incident.pk}/",
    ):
        page = moderator_client.get(url).content.decode()
        assert 'class="moderation-menu"' in page, url
        assert 'data-counts-url="/moderation/counts.json"' in page, url
        for link in (
            'href="/moderation/comments/"',
            'href="/moderation/bursts/"',
            'href="/moderation/incidents/"',
            'href="/"',
        ):
            assert link in page, (url, link)


def test_the_admin_index_shows_the_counts_and_the_latest_audited_actions(
    busy_night, moderator_client
):
    page = moderator_client.get("/admin/").content.decode()

    assert "Waiting for a moderator" in page
    assert '<td data-count="comments_to_review">4</td>' in page
    assert 'href="/moderation/"' in page
    assert "Latest moderator actions" in page


def test_the_suspicious_filter_lists_only_suspicious_incidents(busy_night, moderator_client):
    rows = moderator_client.get("/moderation/incidents/?show=suspicious").context["incidents"]

    assert [i.visibility for i in rows] == ["suspicious"]


def test_anonymous_visitors_are_sent_to_sign_in(client):
    for url in ("/moderation/", "/moderation/counts.json"):
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
