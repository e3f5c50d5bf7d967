"""The moderators' queue: who may see it, what it shows first, bulk actions each audited in the
same transaction, and a bounded number of queries whatever the number of comments."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from comments import services
from comments.models import Comment
from moderation.models import AuditEntry
from tests.comments.helpers import make_comment, make_moderator
from tests.factories import CommentFlagFactory, ServiceFactory

pytestmark = pytest.mark.django_db

QUEUE = "/moderation/comments/"


@pytest.fixture
def service():
    return ServiceFactory(slug="twitter", name="Twitter")


@pytest.fixture
def moderator_client():
    client = Client()
    client.force_login(make_moderator())
    return client


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    response = client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/moderation/comments/")


def test_staff_without_the_permission_are_refused():
    client = Client()
    client.force_login(User.objects.create_user("staff", is_staff=True))

    assert client.get(QUEUE).status_code == 403
    assert client.post(QUEUE, {"action": "approve", "ids": ["1"]}).status_code == 403


def test_a_user_with_the_permission_but_not_staff_is_sent_to_login():
    user = make_moderator("outsider")
    user.is_staff = False
    user.save()
    client = Client()
    client.force_login(user)

    assert client.get(QUEUE).status_code == 302


def test_a_superuser_may_moderate():
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw"))

    assert client.get(QUEUE).status_code == 200


def test_the_queue_puts_flagged_then_pending_first_with_score_and_flags(moderator_client, service):
    old = make_comment(service, state="pending", text="older pending")
    make_comment(service, state="approved", text="already fine")
    flagged = make_comment(
        service,
        state="flagged",
        text="flagged one",
        open_flags=3,
        spam_score=45,
        spam_reasons=["links:1"],
    )
    CommentFlagFactory(
        comment=flagged, fingerprint="a", reason="abuse", created_at=flagged.created_at
    )
    new = make_comment(service, state="pending", text="newer pending")

    response = moderator_client.get(QUEUE)

    rows = [row.comment.pk for row in response.context["rows"]]
    assert rows == [flagged.pk, old.pk, new.pk]
    page = response.content.decode()
    assert "already fine" not in page
    assert 'data-score="45"' in page and "links:1" in page
    assert "Abuse: 1" in page
    everything = moderator_client.get(QUEUE + "?view=all").context["rows"]
    assert [r.comment.state for r in everything][-1] == "approved"


def test_the_queue_never_shows_the_email(moderator_client, service):
    make_comment(service, email="private@example.org")

    assert "private@example.org" not in moderator_client.get(QUEUE).content.decode()


@pytest.mark.parametrize("count", [3, 60])
def test_the_queue_loads_in_a_bounded_number_of_queries(
    moderator_client, service, django_assert_max_num_queries, count
):
    for i in range(count):
        comment = make_comment(ServiceFactory(slug=f"s-{i % 7}"), state="flagged", open_flags=2)
        CommentFlagFactory(
            comment=comment, fingerprint="f1", reason="spam", created_at=comment.created_at
        )
        CommentFlagFactory(
            comment=comment, fingerprint="f2", reason="abuse", created_at=comment.created_at
        )
    # Session, account, permissions, the views' counts, the page, its flags, the services.
    with django_assert_max_num_queries(8):
        response = moderator_client.get(QUEUE)
    assert len(response.context["rows"]) == count


def test_the_queue_pages_through_many_comments(moderator_client, service, settings):
    settings.COMMENTS_QUEUE_PAGE = 2
    for _ in range(5):
        make_comment(service)

    first = moderator_client.get(QUEUE)
    last = moderator_client.get(QUEUE + "?offset=4")

    assert len(first.context["rows"]) == 2 and first.context["next_offset"] == 2
    assert len(last.context["rows"]) == 1 and last.context["next_offset"] is None


@pytest.mark.parametrize(("action", "state"), [("approve", "approved"), ("reject", "rejected")])
def test_bulk_approve_and_reject_each_write_an_audit_entry(
    moderator_client, service, action, state
):
    chosen = [make_comment(service), make_comment(service, state="flagged", open_flags=3)]
    untouched = make_comment(service)

    response = moderator_client.post(
        QUEUE + "?view=review", {"action": action, "ids": [c.pk for c in chosen]}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/moderation/comments/?view=review"
    assert f"2 comments {state}." in response.content.decode()
    assert {c.state for c in Comment.objects.filter(pk__in=[c.pk for c in chosen])} == {state}
    assert Comment.objects.get(pk=untouched.pk).state == "pending"
    entries = AuditEntry.objects.order_by("target_id")
    assert [e.target_id for e in entries] == [str(c.pk) for c in chosen]
    assert {(e.action, e.actor_name) for e in entries} == {(f"comment.{action}", "mod")}
    assert entries[1].before["state"] == "flagged" and entries[1].after["state"] == state
    assert Comment.objects.get(pk=chosen[0].pk).moderated_by.username == "mod"


def test_bulk_delete_asks_for_confirmation_first_and_changes_nothing(moderator_client, service):
    chosen = [make_comment(service, text="first words"), make_comment(service)]

    response = moderator_client.post(QUEUE, {"action": "delete", "ids": [c.pk for c in chosen]})

    assert response.status_code == 200
    assert "Delete 2 comments for good?" in response.content.decode()
    assert "first words" in response.content.decode()
    assert Comment.objects.count() == 2 and not AuditEntry.objects.exists()


def test_bulk_delete_once_confirmed_removes_the_rows_and_audits_each(moderator_client, service):
    chosen = [make_comment(service), make_comment(service)]

    moderator_client.post(
        QUEUE, {"action": "delete", "ids": [c.pk for c in chosen], "confirmed": "yes"}
    )

    assert not Comment.objects.exists()
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["comment.delete"] * 2
    assert all(e.after == {"deleted": True} for e in AuditEntry.objects.all())


def test_audit_entries_carry_no_name_email_or_text(moderator_client, service):
    comment = make_comment(service, name="Zed", email="zed@example.org", text="secret words")

    moderator_client.post(QUEUE, {"action": "approve", "ids": [comment.pk]})

    entry = AuditEntry.objects.get()
    flat = f"{entry.target_repr} {entry.before} {entry.after}"
    assert "Zed" not in flat and "zed@" not in flat and "secret" not in flat


@pytest.mark.parametrize(
    "data", [{"action": "publish", "ids": ["1"]}, {"action": "approve"}, {"ids": ["1"]}]
)
def test_a_bad_action_changes_nothing_and_says_why(moderator_client, service, data):
    comment = make_comment(service)
    data = {**data, "ids": [str(comment.pk)]} if "ids" in data else data

    response = moderator_client.post(QUEUE, data, follow=True)

    assert response.status_code == 200
    assert ("Choose approve" in response.content.decode()) or (
        "Select at least one" in response.content.decode()
    )
    assert Comment.objects.get().state == "pending"
    assert not AuditEntry.objects.exists()


def test_an_action_that_fails_leaves_no_change_and_no_audit_row(service, monkeypatch):
    comments = [make_comment(service), make_comment(service)]
    real = services.audit_record
    calls = []

    def failing_on_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(services, "audit_record", failing_on_second)
    with pytest.raises(RuntimeError):
        services.comments_moderate(
            actor=None, ids=[c.pk for c in comments], action="approve", now=comments[0].created_at
        )

    assert set(Comment.objects.values_list("state", flat=True)) == {"pending"}
    assert not AuditEntry.objects.exists()


def test_a_failing_delete_keeps_the_comments(service, monkeypatch):
    comment = make_comment(service)
    monkeypatch.setattr(
        services.Comment.objects,
        "filter",
        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("db gone")),
    )
    with pytest.raises(RuntimeError):
        services.comments_moderate(
            actor=None, ids=[comment.pk], action="delete", now=comment.created_at
        )
    monkeypatch.undo()
    assert Comment.objects.filter(pk=comment.pk).exists()
    assert not AuditEntry.objects.exists()


def test_the_queue_form_needs_a_csrf_token(service):
    comment = make_comment(service)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_moderator())

    response = client.post(QUEUE, {"action": "approve", "ids": [comment.pk]})

    assert response.status_code == 403
    assert Comment.objects.get().state == "pending"


def test_the_queue_page_loads_its_shortcuts_from_a_static_file(moderator_client, service):
    make_comment(service)

    page = moderator_client.get(QUEUE).content.decode()

    assert 'src="/static/comments/queue.js"' in page
    assert 'src="/static/moderation/panel.js"' in page
    assert "<script>" not in page  # no inline script
