"""Comment fixtures: a valid form post, comments in any state, a moderator."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import Permission, User
from django.utils import timezone

from comments.forms import form_started_token
from comments.models import Comment
from comments.services import text_key
from outages.models import Service
from tests.factories import CommentFactory

_numbers = itertools.count(1)


def form_data(slug: str, *, waited: float = 30, **values: str) -> dict[str, str]:
    """What a person's browser posts, after reading the form for `waited` seconds."""
    started = timezone.now() - timedelta(seconds=waited)
    return {
        "name": "Ada",
        "email": "ada@example.org",
        "text": f"Cannot log in since noon ({next(_numbers)}).",
        "website": "",
        "started": form_started_token(slug=slug, now=started),
        **values,
    }


def make_comment(
    service: Service,
    *,
    state: str = Comment.State.PENDING,
    text: str | None = None,
    created_at: datetime | None = None,
    **fields: Any,
) -> Comment:
    text = text if text is not None else f"Comment number {next(_numbers)}"
    values: dict[str, Any] = {
        "service": service,
        "name": "Ada",
        "email": "ada@example.org",
        "text": text,
        "state": state,
        "created_at": created_at or timezone.now(),
        "fingerprint": f"{next(_numbers):032x}",
        "text_key": text_key(text),
    }
    values.update(fields)
    return CommentFactory(**values)


def make_moderator(username: str = "mod") -> User:
    user = User.objects.create_user(username, password="pw-for-tests", is_staff=True)
    user.user_permissions.add(
        Permission.objects.get(codename="moderate_comment", content_type__app_label="comments")
    )
    return User.objects.get(pk=user.pk)  # fresh, without a stale permission cache
