"""Moderator actions on comments that the queue adds to approve / reject / delete
(comments.services): undoing a batch of approvals or rejections, and redacting part of a
comment. Each change is audited in its own transaction; audit states never carry a text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from comments.models import Comment, CommentFlag
from moderation.audit import audit_record
from moderation.models import AuditEntry, CommentRedaction

UNDOABLE = ("comment.approve", "comment.reject")
REDACTED = "[…]"  # what stands where the words were


def comments_moderation_undo(*, actor: Any, entry_ids: Iterable[int]) -> int:
    """Put back the comments of the given approve / reject entries (this actor's own) in the
    state they had before, with their open flags counted again, unless a later action changed
    them meanwhile. Returns how many comments were put back."""
    restored = 0
    with transaction.atomic():
        entries = AuditEntry.objects.filter(
            pk__in=list(entry_ids), actor_id=getattr(actor, "pk", None), action__in=UNDOABLE
        ).order_by("pk")
        for entry in entries:
            comment = Comment.objects.select_for_update().filter(pk=entry.target_id).first()
            if comment is None or comment.state != entry.after.get("state"):
                continue  # deleted, or acted on again since: leave the later action alone
            before = _state(comment)
            comment.state = entry.before["state"]
            comment.open_flags = entry.before.get("open_flags", 0)
            comment.save(update_fields=["state", "open_flags"])
            reopened = CommentFlag.objects.filter(comment=comment, reviewed=True).order_by(
                "-created_at"
            )[: comment.open_flags]
            CommentFlag.objects.filter(pk__in=list(reopened.values_list("pk", flat=True))).update(
                reviewed=False
            )
            audit_record(
                actor=actor,
                action="comment.undo",
                target=comment,
                before=before,
                after=_state(comment),
            )
            restored += 1
    return restored


def comment_redact(
    *, actor: Any, comment_id: int, part: str, now: datetime, approve: bool = False
) -> Comment:
    """Replace every occurrence of `part` in the comment's text by REDACTED. The whole text
    before is kept in a CommentRedaction until the retention period has passed. With
    `approve`, the redacted comment is published in the same transaction.
    Raises ValidationError (field "part") when `part` is empty or not in the text."""
    part = part.strip()
    if not part:
        raise ValidationError({"part": _("Give the words to hide.")})
    with transaction.atomic():
        comment = Comment.objects.select_for_update().get(pk=comment_id)
        if part not in comment.text:
            raise ValidationError({"part": _("These words are not in the comment.")})
        before = _state(comment)
        CommentRedaction.objects.create(
            comment=comment,
            original=comment.text,
            actor=_account(actor),
            at=now,
            purge_after=now + timedelta(days=settings.REPORT_RETENTION_DAYS),
        )
        comment.text = comment.text.replace(part, REDACTED)
        fields = ["text"]
        if approve:
            comment.state, comment.open_flags = Comment.State.APPROVED, 0
            comment.moderated_at, comment.moderated_by = now, _account(actor)
            fields += ["state", "open_flags", "moderated_at", "moderated_by"]
            CommentFlag.objects.filter(comment=comment, reviewed=False).update(reviewed=True)
        comment.save(update_fields=fields)
        after = {**_state(comment), "redacted_chars": len(part)}
        audit_record(
            actor=actor, action="comment.redact", target=comment, before=before, after=after
        )
    return comment


def redactions_purge(*, now: datetime) -> int:
    """Forget the original texts whose retention period has passed."""
    return CommentRedaction.objects.filter(purge_after__lte=now).delete()[0]


def _account(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _state(comment: Comment) -> dict[str, Any]:
    return {
        "state": comment.state,
        "open_flags": comment.open_flags,
        "spam_score": comment.spam_score,
        "service_id": comment.service_id,
        "length": len(comment.text),
    }
