"""Write side of comments: posting, flagging, moderating and erasing.

Every moderator action (and the automatic hiding of a flagged comment) writes its audit entry
in the same transaction as its change. Audit states never carry a name, an e-mail or a text.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comments import spam
from comments.models import Comment, CommentFlag
from common.audit import audit_record
from outages.models import Service
from outages.page_cache import pages_changed

REPEAT_WINDOW = timedelta(hours=24)
ACTIONS = {"approve": Comment.State.APPROVED, "reject": Comment.State.REJECTED, "delete": None}


class CommentRejected(Exception):
    """A post refused by a rule that needs the database; `field` is None for the whole form."""

    def __init__(self, *, field: str | None, message: str, code: str) -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def comment_submit(
    *,
    service: Service,
    name: str,
    email: str,
    text: str,
    fingerprint: str,
    fill_seconds: float,
    now: datetime,
) -> Comment:
    """Store a new comment, pending review. Raises CommentRejected (nothing stored) when the
    poster is over the rate limit or repeats their own recent comment."""
    limit, window = settings.COMMENTS_RATE
    recent = Comment.objects.filter(
        fingerprint=fingerprint, created_at__gte=now - timedelta(seconds=window)
    )
    if recent.count() >= limit:
        raise CommentRejected(
            field=None,
            message=_("You have posted many comments lately: please wait a while."),
            code="rate_limited",
        )
    key = text_key(text)
    # Only the same person repeating: during an outage many readers write the same words.
    repeated = Comment.objects.filter(
        text_key=key, fingerprint=fingerprint, created_at__gte=now - REPEAT_WINDOW
    )
    if repeated.exists():
        raise CommentRejected(
            field="text",
            message=_("This comment was already posted: say something new."),
            code="repeated",
        )
    score = spam.spam_score(
        text=text,
        name=name,
        fill_seconds=fill_seconds,
        min_fill_seconds=settings.COMMENTS_MIN_FILL_SECONDS,
    )
    return Comment.objects.create(
        service=service,
        name=name,
        email=email,
        text=text,
        created_at=now,
        fingerprint=fingerprint,
        text_key=key,
        spam_score=score.value,
        spam_reasons=list(score.reasons),
    )


def text_key(text: str) -> str:
    return hashlib.blake2b(spam.normalise(text).encode(), digest_size=16).hexdigest()


class FlagOutcome(enum.Enum):
    COUNTED = "counted"
    REPEAT = "repeat"  # this fingerprint already flagged this comment: counted once
    RATE_LIMITED = "rate_limited"  # this fingerprint flagged too many comments lately


def comment_flag(
    *, comment_id: int, service: Service, fingerprint: str, reason: str, now: datetime
) -> FlagOutcome:
    """A reader flags a public comment. Any open flag puts it in the moderators' "To review"
    view; a personal-data flag, or enough open flags, also hides it until a moderator reviews
    it. One fingerprint's flags count once per comment, and at most COMMENTS_FLAG_RATE flags
    per window (so a few readers cannot hide every comment).
    Raises Comment.DoesNotExist for a comment that is not public on this service."""
    limit, window = settings.COMMENTS_FLAG_RATE
    recent = CommentFlag.objects.filter(
        fingerprint=fingerprint, created_at__gte=now - timedelta(seconds=window)
    )
    if recent.count() >= limit:
        return FlagOutcome.RATE_LIMITED
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(
            pk=comment_id, service=service, state=Comment.State.APPROVED
        )
        try:
            with transaction.atomic():
                CommentFlag.objects.create(
                    comment=comment, fingerprint=fingerprint, reason=reason, created_at=now
                )
        except IntegrityError:
            return FlagOutcome.REPEAT
        before = _audit_state(comment)
        comment.open_flags += 1
        fields = ["open_flags"]
        if (
            comment.open_flags >= settings.COMMENTS_FLAGS_TO_HIDE
            or reason == CommentFlag.Reason.PERSONAL_DATA
        ):
            comment.state = Comment.State.FLAGGED
            fields.append("state")
        comment.save(update_fields=fields)
        if comment.state == Comment.State.FLAGGED:
            audit_record(
                actor=None,
                action="comment.hide_flagged",
                target=comment,
                before=before,
                after=_audit_state(comment),
            )
            _service_pages_changed([service.slug])
    return FlagOutcome.COUNTED


def comments_moderate(*, actor: Any, ids: Iterable[int], action: str, now: datetime) -> int:
    """Approve, reject or delete comments, each with its audit entry, all in one transaction.
    Returns how many comments were acted on."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    with transaction.atomic():
        comments = list(Comment.objects.select_for_update().filter(pk__in=list(ids)).order_by("pk"))
        pks = [c.pk for c in comments]
        _service_pages_changed(
            Service.objects.filter(id__in={c.service_id for c in comments}).values_list(
                "slug", flat=True
            )
        )
        new_state = ACTIONS[action]
        for comment in comments:
            before = _audit_state(comment)
            if new_state is None:
                after: dict[str, Any] = {"deleted": True}
            else:
                after = {**before, "state": new_state, "open_flags": 0}
            audit_record(
                actor=actor, action=f"comment.{action}", target=comment, before=before, after=after
            )
        if new_state is None:
            Comment.objects.filter(pk__in=pks).delete()
        else:
            Comment.objects.filter(pk__in=pks).update(
                state=new_state,
                open_flags=0,
                moderated_at=now,
                moderated_by=actor if getattr(actor, "pk", None) else None,
            )
            CommentFlag.objects.filter(comment__in=pks, reviewed=False).update(reviewed=True)
    return len(comments)


def comments_erase_by_email(*, actor: Any, email: str) -> int:
    """Erase a commenter's data on request: every comment posted with this e-mail address
    (any case) is deleted, with its flags; the audit log keeps only that it happened."""
    email = email.strip()
    if not email:
        raise ValueError("an e-mail address is required")
    with transaction.atomic():
        comments = list(
            Comment.objects.select_for_update().filter(email__iexact=email).order_by("pk")
        )
        for comment in comments:
            audit_record(
                actor=actor,
                action="comment.erase",
                target=comment,
                before=_audit_state(comment),
                after={"erased": True},
            )
        _service_pages_changed(
            Service.objects.filter(id__in={c.service_id for c in comments}).values_list(
                "slug", flat=True
            )
        )
        Comment.objects.filter(pk__in=[c.pk for c in comments]).delete()
    return len(comments)


def _service_pages_changed(slugs: Iterable[str]) -> None:
    """The services' cached pages show their comments: out of date once this commits."""
    for slug in set(slugs):
        transaction.on_commit(partial(pages_changed, slug=slug))


def _audit_state(comment: Comment) -> dict[str, Any]:
    return {
        "state": comment.state,
        "open_flags": comment.open_flags,
        "spam_score": comment.spam_score,
        "service_id": comment.service_id,
    }


def moderated_message(action: str, done: int) -> str:
    """What the queue and the admin say after an action."""
    return {
        "approve": ngettext("%(n)d comment approved.", "%(n)d comments approved.", done),
        "reject": ngettext("%(n)d comment rejected.", "%(n)d comments rejected.", done),
        "delete": ngettext("%(n)d comment deleted.", "%(n)d comments deleted.", done),
    }[action] % {"n": done}
