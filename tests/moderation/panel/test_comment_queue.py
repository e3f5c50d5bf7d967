"""The comment queue at volume: counts per view, filters, search, sort, undo of a batch of
approvals or rejections, and redaction of part of a comment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comments.models import Comment, CommentFlag
from moderation.models import AuditEntry, CommentRedaction
from moderation.panel.comment_actions import comment_redact, redactions_purge
from tests.comments.helpers import make_comment
from tests.factories import CommentFlagFactory, ServiceFactory

pytestmark = pytest.mark.django_db
QUEUE = "/moderation/comments/"


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def shown(response) -> list[int]:
    return [row.comment.pk for row in response.context["rows"]]


def test_each_view_is_counted_under_the_same_filters(moderator_client, twitter):
    steam = ServiceFactory(slug="steam", name="Steam")
    make_comment(twitter)
    make_comment(twitter, state="approved")
    make_comment(steam)

    everything = moderator_client.get(QUEUE).context["views"]
    on_twitter = moderator_client.get(QUEUE + "?service=twitter").context["views"]

    assert [(name, n) for name, _, n in everything] == [
        ("review", 2),
        ("approved", 1),
        ("rejected", 0),
        ("all", 3),
    ]
    assert [n for _, _, n in on_twitter] == [1, 1, 0, 2]


def test_the_queue_filters_by_service_reason_score_and_search(moderator_client, twitter):
    steam = ServiceFactory(slug="steam", name="Steam")
    spammy = make_comment(twitter, spam_score=80, text="cheap pills here")
    quiet = make_comment(twitter, spam_score=5, text="Login fails", name="Zed")
    elsewhere = make_comment(steam, text="Steam login fails")
    private = make_comment(twitter, state="approved", open_flags=1, text="Bob 555-0100")
    CommentFlagFactory(comment=private, fingerprint="f", reason="personal_data")

    assert set(shown(moderator_client.get(QUEUE + "?service=steam"))) == {elsewhere.pk}
    assert shown(moderator_client.get(QUEUE + "?min_score=50")) == [spammy.pk]
    assert shown(moderator_client.get(QUEUE + "?reason=personal_data")) == [private.pk]
    found = shown(moderator_client.get(QUEUE + "?q=LOGIN+FAILS"))
    assert set(found) == {quiet.pk, elsewhere.pk}
    assert shown(moderator_client.get(QUEUE + "?q=zed")) == [quiet.pk]


def test_the_queue_sorts_by_spam_score_and_by_age(moderator_client, twitter):
    now = timezone.now()
    low = make_comment(twitter, spam_score=10, created_at=now - timedelta(minutes=3))
    high = make_comment(twitter, spam_score=90, created_at=now - timedelta(minutes=2))
    middle = make_comment(twitter, spam_score=50, created_at=now - timedelta(minutes=1))

    assert shown(moderator_client.get(QUEUE + "?sort=spam")) == [high.pk, middle.pk, low.pk]
    assert shown(moderator_client.get(QUEUE + "?sort=newest")) == [middle.pk, high.pk, low.pk]
    assert shown(moderator_client.get(QUEUE + "?sort=oldest")) == [low.pk, high.pk, middle.pk]


@pytest.mark.parametrize("query", ["sort=loudest", "min_score=200", "reason=rude", "view=x"])
def test_a_bad_filter_is_refused_with_the_field_named(moderator_client, twitter, query):
    make_comment(twitter)

    response = moderator_client.get(f"{QUEUE}?{query}")

    assert response.status_code == 400
    field = query.split("=")[0]
    assert field in response.context["filter_errors"]
    assert len(response.context["rows"]) == 1  # the rest of the page still works


def test_an_approval_of_many_comments_can_be_undone(moderator_client, twitter):
    flagged = make_comment(twitter, state="flagged", open_flags=2)
    for reason in ("spam", "abuse"):
        CommentFlagFactory(comment=flagged, fingerprint=reason, reason=reason)
    pending = [make_comment(twitter) for _ in range(3)]
    ids = [flagged.pk] + [c.pk for c in pending]
    moderator_client.post(QUEUE, {"action": "approve", "ids": ids})
    assert set(Comment.objects.values_list("state", flat=True)) == {"approved"}
    assert "Undo the last action (4 comments)" in moderator_client.get(QUEUE).content.decode()

    response = moderator_client.post(QUEUE + "undo/", follow=True)

    assert "4 comments put back." in response.content.decode()
    flagged.refresh_from_db()
    assert flagged.state == "flagged" and flagged.open_flags == 2
    assert CommentFlag.objects.filter(comment=flagged, reviewed=False).count() == 2
    assert set(
        Comment.objects.filter(pk__in=[c.pk for c in pending]).values_list("state", flat=True)
    ) == {"pending"}
    assert AuditEntry.objects.filter(action="comment.undo").count() == 4
    assert "Undo the last action" not in response.content.decode()


def test_undo_leaves_alone_a_comment_acted_on_since(moderator_client, twitter):
    comment = make_comment(twitter)
    moderator_client.post(QUEUE, {"action": "approve", "ids": [comment.pk]})
    Comment.objects.filter(pk=comment.pk).update(state="rejected")  # someone else, meanwhile

    moderator_client.post(QUEUE + "undo/")

    assert Comment.objects.get().state == "rejected"
    assert not AuditEntry.objects.filter(action="comment.undo").exists()


def test_redaction_hides_the_words_keeps_the_original_and_audits_without_text(
    moderator_client, moderator, twitter
):
    comment = make_comment(
        twitter,
        state="flagged",
        open_flags=1,
        text="Down for me. Call Bob on 555-0100 if you know more.",
    )

    response = moderator_client.post(
        f"{QUEUE}{comment.pk}/redact/", {"part": "Bob on 555-0100", "approve": "yes"}
    )

    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.text == "Down for me. Call […] if you know more."
    assert comment.state == "approved"
    kept = CommentRedaction.objects.get()
    assert "555-0100" in kept.original and kept.actor == moderator
    entry = AuditEntry.objects.get(action="comment.redact")
    assert "555" not in f"{entry.before} {entry.after} {entry.target_repr}"
    page = moderator_client.get("/s/twitter/").content.decode()
    assert "Call […] if you know more." in page and "555-0100" not in page


@pytest.mark.parametrize(("part", "why"), [("", "Give the words"), ("Alice", "not in the")])
def test_a_redaction_of_words_not_in_the_comment_changes_nothing(
    moderator_client, twitter, part, why
):
    comment = make_comment(twitter, text="Call Bob")

    response = moderator_client.post(f"{QUEUE}{comment.pk}/redact/", {"part": part})

    assert response.status_code == 400 and why in response.content.decode()
    assert Comment.objects.get().text == "Call Bob"
    assert not CommentRedaction.objects.exists() and not AuditEntry.objects.exists()


def test_the_original_text_is_forgotten_after_the_retention_period(moderator, twitter, settings):
    comment = make_comment(twitter, text="Call Bob")
    now = timezone.now()
    comment_redact(actor=moderator, comment_id=comment.pk, part="Bob", now=now)

    assert redactions_purge(now=now + timedelta(days=1)) == 0
    later = now + timedelta(days=settings.REPORT_RETENTION_DAYS, seconds=1)
    assert redactions_purge(now=later) == 1
    assert not CommentRedaction.objects.exists()
    assert Comment.objects.get().text == "Call […]"
