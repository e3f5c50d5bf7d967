"""Rows of the comments app: readers' comments and their flags."""

from __future__ import annotations

import factory
from django.utils import timezone

from comments.models import Comment, CommentFlag
from tests.factories.outages import ServiceFactory


class CommentFactory(factory.django.DjangoModelFactory):
    """A reader's comment waiting for a moderator."""

    class Meta:
        model = Comment

    service = factory.SubFactory(ServiceFactory)
    name = "Ada"
    email = "ada@example.com"
    text = factory.Sequence(lambda n: f"Down here too ({n}).")
    created_at = factory.LazyFunction(timezone.now)
    fingerprint = factory.Sequence(lambda n: f"{n:032x}")
    text_key = factory.Sequence(lambda n: f"{n:032x}")


class CommentFlagFactory(factory.django.DjangoModelFactory):
    """A reader's spam flag on a comment, now; each from another reader."""

    class Meta:
        model = CommentFlag

    comment = factory.SubFactory(CommentFactory)
    fingerprint = factory.Sequence(lambda n: f"flagger-{n}")
    reason = CommentFlag.Reason.SPAM
    created_at = factory.LazyFunction(timezone.now)
