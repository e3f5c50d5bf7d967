"""Readers flag public comments: a reason from the list, once per fingerprint, and enough
flags hide the comment until a moderator reviews it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from comments.models import Comment, CommentFlag
from comments.services import FlagOutcome, comment_flag, comments_moderate
from moderation.models import AuditEntry
from moderation.panel.counts import pending_counts
from tests.comments.helpers import make_comment
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    return ServiceFactory(slug="twitter", name="Twitter")


def flag(comment, *, address="198.51.100.1", reason="spam", client=None):
    return (client or Client()).post(
        f"/s/twitter/comments/{comment.pk}/flag/", {"reason": reason}, REMOTE_ADDR=address
    )


def test_every_public_comment_has_a_flag_form_with_the_reasons(client, service):
    comment = make_comment(service, state="approved")

    page = client.get("/s/twitter/").content.decode()

    assert f'action="/s/twitter/comments/{comment.pk}/flag/"' in page
    for reason in ("spam", "abuse", "off_topic", "personal_data"):
        assert f'value="{reason}"' in page


def test_a_flag_is_recorded_and_thanked(service):
    comment = make_comment(service, state="approved")

    response = Client().post(
        f"/s/twitter/comments/{comment.pk}/flag/", {"reason": "abuse"}, follow=True
    )

    assert "a moderator will look at this comment" in response.content.decode()
    assert CommentFlag.objects.get().reason == "abuse"
    comment.refresh_from_db()
    assert (comment.open_flags, comment.state) == (1, "approved")


def test_flags_from_one_fingerprint_count_once(service, midday):
    comment = make_comment(service, state="approved")

    for reason in ("spam", "abuse", "spam"):
        flag(comment, reason=reason)

    comment.refresh_from_db()
    assert comment.open_flags == 1
    assert CommentFlag.objects.count() == 1


def test_enough_flags_hide_the_comment_pending_review(client, service, settings):
    settings.COMMENTS_FLAGS_TO_HIDE = 3
    comment = make_comment(service, state="approved", text="Rude words")

    for n in range(3):
        flag(comment, address=f"198.51.100.{n}")

    comment.refresh_from_db()
    assert (comment.state, comment.open_flags) == ("flagged", 3)
    assert "Rude words" not in client.get("/s/twitter/").content.decode()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor_name) == ("comment.hide_flagged", "system")
    assert (entry.before["state"], entry.after["state"]) == ("approved", "flagged")


def test_one_fingerprint_can_flag_only_so_many_comments(service, settings, midday):
    settings.COMMENTS_FLAG_RATE = (2, 3600)
    comments = [make_comment(service, state="approved") for _ in range(3)]

    assert [flag(c).status_code for c in comments] == [302, 302, 429]

    assert CommentFlag.objects.count() == 2
    response = flag(comments[2])
    assert "flagged many comments" in response.content.decode()
    assert flag(comments[2], address="192.0.2.50").status_code == 302  # another reader


def test_a_flag_needs_a_known_reason(service):
    comment = make_comment(service, state="approved")

    response = flag(comment, reason="boring")

    assert response.status_code == 400
    assert "Reason" in response.content.decode()
    assert not CommentFlag.objects.exists()


def test_a_comment_that_is_not_public_cannot_be_flagged(service):
    for state in ("pending", "rejected", "flagged"):
        comment = make_comment(service, state=state)
        assert flag(comment).status_code == 404
    assert not CommentFlag.objects.exists()


def test_the_flag_page_works_without_javascript(client, service):
    comment = make_comment(service, state="approved", text="Hello")

    response = client.get(f"/s/twitter/comments/{comment.pk}/flag/")

    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()


def test_flagging_needs_a_csrf_token(service):
    comment = make_comment(service, state="approved")

    response = Client(enforce_csrf_checks=True).post(
        f"/s/twitter/comments/{comment.pk}/flag/", {"reason": "spam"}
    )

    assert response.status_code == 403
    assert not CommentFlag.objects.exists()


def test_approving_a_flagged_comment_closes_its_flags(service, settings):
    settings.COMMENTS_FLAGS_TO_HIDE = 2
    comment = make_comment(service, state="approved")
    flag(comment, address="192.0.2.1")
    flag(comment, address="192.0.2.2")

    comments_moderate(actor=None, ids=[comment.pk], action="approve", now=timezone.now())

    comment.refresh_from_db()
    assert (comment.state, comment.open_flags) == ("approved", 0)
    assert not CommentFlag.objects.filter(reviewed=False).exists()
    assert Comment.objects.get().state == "approved"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_concurrent_flags_count_each_fingerprint_once(settings):
    settings.COMMENTS_FLAGS_TO_HIDE = 3
    service = ServiceFactory(slug="twitter")
    comment = make_comment(service, state="approved")
    start = threading.Barrier(8)
    results: list[FlagOutcome | None] = []

    def flag_from(n: int) -> None:
        try:
            start.wait()
            results.append(
                comment_flag(
                    comment_id=comment.pk,
                    service=service,
                    fingerprint=f"fp{n % 4}",
                    reason="spam",
                    now=timezone.now(),
                )
            )
        except Comment.DoesNotExist:  # hidden by the third flag before this one got in
            results.append(None)
        finally:
            connection.close()

    threads = [threading.Thread(target=flag_from, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    comment.refresh_from_db()
    assert comment.open_flags == CommentFlag.objects.count() == results.count(FlagOutcome.COUNTED)
    assert comment.open_flags == 3  # the fourth reader came after it was hidden
    assert comment.state == "flagged"
    assert AuditEntry.objects.filter(action="comment.hide_flagged").count() == 1


def test_one_personal_data_flag_hides_the_comment_at_once(client, service, settings):
    settings.COMMENTS_FLAGS_TO_HIDE = 3
    comment = make_comment(service, state="approved", text="Call Bob on 555-0100")

    flag(comment, reason="personal_data")

    comment.refresh_from_db()
    assert comment.state == "flagged" and comment.open_flags == 1
    assert "555-0100" not in client.get("/s/twitter/").content.decode()
    assert AuditEntry.objects.get().action == "comment.hide_flagged"


def test_one_ordinary_flag_keeps_the_comment_public_but_puts_it_in_to_review(service, settings):
    settings.COMMENTS_FLAGS_TO_HIDE = 3
    comment = make_comment(service, state="approved")

    flag(comment, reason="off_topic")

    comment.refresh_from_db()
    assert comment.state == "approved" and comment.open_flags == 1
    counts = pending_counts(now=timezone.now())
    assert counts.comments_to_review == 1 and counts.comments_flagged == 1
