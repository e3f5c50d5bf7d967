"""Erasure of a commenter's data on request, by e-mail: every comment and its flags go, the
audit log keeps only that it happened (no name, e-mail or text)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from comments.models import Comment, CommentFlag
from comments.services import comments_erase_by_email
from moderation.models import AuditEntry
from tests.comments.helpers import make_comment, make_moderator
from tests.factories import CommentFlagFactory, ServiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def comments():
    one, two = ServiceFactory(slug="one"), ServiceFactory(slug="two")
    theirs = [
        make_comment(one, email="Ada@Example.org", state="approved"),
        make_comment(two, email="ada@example.org", state="pending"),
    ]
    CommentFlagFactory(
        comment=theirs[0], fingerprint="f", reason="spam", created_at=theirs[0].created_at
    )
    other = make_comment(one, email="bob@example.org")
    return theirs, other


def test_erasure_deletes_every_comment_of_the_address_in_any_case(comments):
    theirs, other = comments
    moderator = make_moderator()

    erased = comments_erase_by_email(actor=moderator, email=" ADA@example.ORG ")

    assert erased == 2
    assert list(Comment.objects.values_list("pk", flat=True)) == [other.pk]
    assert not CommentFlag.objects.exists()
    entries = AuditEntry.objects.all()
    assert {e.action for e in entries} == {"comment.erase"} and len(entries) == 2
    for entry in entries:
        assert "ada" not in f"{entry.target_repr} {entry.before} {entry.after}".lower()


def test_erasure_of_an_unknown_address_does_nothing(comments):
    assert comments_erase_by_email(actor=None, email="nobody@example.org") == 0
    assert Comment.objects.count() == 3
    assert not AuditEntry.objects.exists()


def test_erasure_needs_an_address(comments):
    with pytest.raises(ValueError):
        comments_erase_by_email(actor=None, email="  ")
    assert Comment.objects.count() == 3


def test_the_command_erases_and_names_the_actor(comments, capsys):
    make_moderator("dpo")

    call_command("comments_erase", "ada@example.org", "--actor", "dpo")

    assert "2 comment(s) erased" in capsys.readouterr().out
    assert set(AuditEntry.objects.values_list("actor_name", flat=True)) == {"dpo"}


def test_the_command_refuses_an_unknown_actor_or_a_bad_address(comments):
    User.objects.create_user("visitor")
    with pytest.raises(CommandError, match="--actor"):
        call_command("comments_erase", "ada@example.org", "--actor", "visitor")
    make_moderator("dpo")
    with pytest.raises(CommandError, match="email"):
        call_command("comments_erase", "not-an-address", "--actor", "dpo")
    assert Comment.objects.count() == 3
