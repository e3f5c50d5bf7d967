"""Posting a comment: required fields, pre-moderation, and the spam rules; a refused post
names the field and why, and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from comments.models import Comment
from outages.page_cache import pages_changed
from tests.comments.helpers import form_data, make_comment
from tests.factories import IncidentFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    return ServiceFactory(slug="twitter", name="Twitter")


def post(client, data, **extra):
    return client.post("/s/twitter/comments/", data, **extra)


def test_a_posted_comment_is_kept_pending_and_not_shown(client, service):
    data = form_data("twitter", text="Feed does not load at all")

    response = post(client, data, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/s/twitter/#comments"
    page = response.content.decode()
    assert "Thank you: your comment will appear after review." in page
    assert "Feed does not load at all" not in page
    comment = Comment.objects.get()
    assert comment.state == Comment.State.PENDING
    assert (comment.name, comment.email, comment.text) == (
        "Ada",
        "ada@example.org",
        "Feed does not load at all",
    )


def test_an_approved_comment_is_shown_without_its_email(client, service):
    make_comment(service, state="approved", text="Down in Paris too", email="secret@example.org")

    page = client.get("/s/twitter/").content.decode()

    assert "Down in Paris too" in page
    assert "secret@example.org" not in page and "secret" not in page


def test_the_poster_is_known_only_by_a_keyed_fingerprint(client, service):
    post(client, form_data("twitter"), REMOTE_ADDR="203.0.113.7")

    comment = Comment.objects.get()
    assert len(comment.fingerprint) == 32 and "203.0.113" not in comment.fingerprint
    stored = [str(v) for v in Comment.objects.values_list(flat=True)]
    assert not any("203.0.113" in value for value in stored)


@pytest.mark.parametrize("field", ["name", "email", "text"])
def test_each_field_is_required(client, service, field):
    response = post(client, form_data("twitter", **{field: "   " if field != "email" else ""}))

    assert response.status_code == 400
    assert response.context["comment_form"].errors[field]
    assert "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_a_bad_email_is_refused_with_its_field(client, service):
    response = post(client, form_data("twitter", email="not-an-address"))

    assert response.status_code == 400
    assert list(response.context["comment_form"].errors) == ["email"]
    assert not Comment.objects.exists()


def test_the_page_keeps_what_was_typed_after_an_error(client, service):
    response = post(client, form_data("twitter", email="nope", text="Keep me"))

    assert "Keep me" in response.content.decode()


def test_a_filled_honeypot_is_refused(client, service):
    response = post(client, form_data("twitter", website="http://spam.example"))

    assert response.status_code == 400
    assert response.context["comment_form"].errors["website"]
    assert "looks automated" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_form_filled_faster_than_a_person_can_is_refused(client, service, settings):
    settings.COMMENTS_MIN_FILL_SECONDS = 5

    response = post(client, form_data("twitter", waited=1))

    assert response.status_code == 400
    assert response.context["comment_form"].errors["started"]
    assert not Comment.objects.exists()


@pytest.mark.parametrize("started", ["", "forged", "eyJzIjoidHdpdHRlciIsInQiOjB9:x:y"])
def test_a_missing_or_forged_start_time_is_refused(client, service, started):
    response = post(client, form_data("twitter", started=started))

    assert response.status_code == 400
    assert response.context["comment_form"].errors["started"]
    assert not Comment.objects.exists()


def test_a_start_time_signed_for_another_service_is_refused(client, service):
    ServiceFactory(slug="other")
    data = form_data("other")

    response = post(client, data)

    assert response.context["comment_form"].errors["started"]


def test_an_expired_form_is_refused(client, service, settings):
    settings.COMMENTS_FORM_MAX_AGE = 60

    response = post(client, form_data("twitter", waited=120))

    assert "expired" in response.context["comment_form"].errors["started"][0]


def test_too_many_links_are_refused(client, service, settings):
    settings.COMMENTS_MAX_LINKS = 2
    text = "see https://a.example/ and http://b.example/x and www.c.example"

    response = post(client, form_data("twitter", text=text))

    assert response.status_code == 400
    assert "At most 2 links" in response.context["comment_form"].errors["text"][0]
    assert not Comment.objects.exists()


def test_a_link_in_the_name_is_refused(client, service):
    response = post(client, form_data("twitter", name="cheap-pills.com"))

    assert response.context["comment_form"].errors["name"]


def test_a_text_over_the_length_limit_is_refused(client, service, settings):
    settings.COMMENTS_MAX_LENGTH = 50

    response = post(client, form_data("twitter", text="x " * 40))

    assert response.context["comment_form"].errors["text"]


def test_the_same_person_posting_the_same_text_twice_is_refused_as_a_repetition(client, service):
    post(client, form_data("twitter", text="It is down!"), REMOTE_ADDR="198.51.100.1")

    response = post(client, form_data("twitter", text="it is   DOWN"), REMOTE_ADDR="198.51.100.1")

    assert response.status_code == 400
    assert "already posted" in response.context["comment_form"].errors["text"][0]
    assert Comment.objects.count() == 1


def test_two_people_writing_the_same_words_are_both_accepted(client, service):
    post(client, form_data("twitter", text="Twitter is down"), REMOTE_ADDR="198.51.100.1")

    response = post(
        Client(), form_data("twitter", text="twitter is down!"), REMOTE_ADDR="198.51.100.2"
    )

    assert response.status_code == 302
    assert Comment.objects.count() == 2


def test_the_same_poster_repeating_on_another_service_is_refused(client, service):
    ServiceFactory(slug="other")
    post(client, form_data("twitter", text="Buy my stuff"))

    response = client.post("/s/other/comments/", form_data("other", text="Buy my stuff"))

    assert response.status_code == 400
    assert Comment.objects.count() == 1


def test_one_fingerprint_is_rate_limited(client, service, settings):
    settings.COMMENTS_RATE = (3, 3600)
    for _ in range(3):
        assert post(client, form_data("twitter")).status_code == 302

    response = post(client, form_data("twitter"))

    assert response.status_code == 429
    assert "wait a while" in response.content.decode()
    assert Comment.objects.count() == 3
    # Another reader is not held back.
    assert post(Client(), form_data("twitter"), REMOTE_ADDR="192.0.2.9").status_code == 302


def test_posting_needs_a_csrf_token(service):
    response = Client(enforce_csrf_checks=True).post("/s/twitter/comments/", form_data("twitter"))

    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_the_service_page_form_has_no_per_visitor_token_and_works_without_javascript(
    client, service
):
    page = client.get("/s/twitter/").content.decode()

    assert 'action="/s/twitter/comments/"' in page
    assert 'name="csrfmiddlewaretoken"' not in page  # common.cross_origin guards the post
    assert 'name="started"' in page and 'name="website"' in page


def test_a_spammy_comment_is_stored_with_its_score(client, service, settings):
    settings.COMMENTS_MIN_FILL_SECONDS = 3
    text = "CHEAP VIAGRA CASINO BUY NOW https://x.example/ !!!!!!!!!!!!!!"

    post(client, form_data("twitter", text=text, waited=4))

    comment = Comment.objects.get()
    assert comment.spam_score >= 50
    assert "sales words" in comment.spam_reasons and "filled very fast" in comment.spam_reasons


def test_an_ordinary_comment_scores_low(client, service):
    post(client, form_data("twitter", text="Login fails with error 503 since 10 minutes."))

    assert Comment.objects.get().spam_score == 0


def test_a_comment_posted_during_an_incident_says_so(client, service):
    incident = IncidentFactory(service=service)
    make_comment(service, state="approved", text="Same here")
    make_comment(
        service,
        state="approved",
        text="Quiet day",
        created_at=incident.started_at - timedelta(hours=2),
    )

    page = client.get("/s/twitter/").content.decode()

    assert page.count("during the incident") == 1
    assert f'href="/incidents/{incident.pk}/"' in page


def test_the_comment_page_renders_in_french(client, service):
    response = post(client, form_data("twitter", email="x"), HTTP_ACCEPT_LANGUAGE="fr")

    assert '<html lang="fr">' in response.content.decode()


def test_the_comments_section_speaks_french(client, service):
    make_comment(service, state="approved")

    page = client.get("/s/twitter/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Commentaires" in page and "Publier le commentaire" in page
    assert "Propos abusifs" in page  # a flag reason


def test_a_form_shown_again_with_errors_keeps_its_start_time(client, service, settings):
    settings.COMMENTS_FORM_MAX_AGE = 60
    kept = form_data("twitter", email="typo")
    expired = form_data("twitter", email="typo", waited=120)

    assert post(client, kept).context["comment_form"].started_token == kept["started"]
    assert post(client, expired).context["comment_form"].started_token != expired["started"]


@pytest.mark.parametrize("count", [2, 60])
def test_the_service_page_reads_its_comments_in_one_query(client, service, count):
    IncidentFactory(service=service)
    for _ in range(count):
        make_comment(service, state="approved")
    client.get("/s/twitter/")  # warm the page's caches (breakdown, salts)
    pages_changed()  # the page itself renders again
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/s/twitter/").status_code == 200
    comment_reads = [q for q in captured.captured_queries if "comments_comment" in q["sql"]]
    assert len(comment_reads) == 1
    assert "email" not in comment_reads[0]["sql"]  # the e-mail is not even read
