"""Readers' comments on a service page, pre-moderated, and the flags readers raise on them.

The e-mail address is kept for the moderators (and for erasure on request) and never shown on a
public page or in any API. No raw address is stored: the poster and each flagger are known only
by the keyed, daily-salted reporter fingerprint of reports/intake.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from outages.models import Service


class Comment(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending review"  # new: never public before a moderator approves
        FLAGGED = "flagged", "Hidden by flags"  # was approved; enough readers flagged it
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="comments")
    name = models.CharField(max_length=80)
    email = models.EmailField()
    text = models.TextField()  # stored as written; rendered as plain text
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()  # when it was posted (the page ties it to incidents)
    fingerprint = models.CharField(max_length=32)  # keyed hash with a daily salt, never an IP
    text_key = models.CharField(max_length=32)  # hash of the normalised text: repetition check
    spam_score = models.PositiveSmallIntegerField(default=0)  # 0-100, shown to moderators
    spam_reasons = models.JSONField(default=list)
    open_flags = models.PositiveIntegerField(default=0)  # flags raised since the last review
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("moderate_comment", "Can moderate comments (approve, reject, delete)")]
        indexes = [
            models.Index(fields=["service", "state", "-created_at"], name="comment_public"),
            models.Index(fields=["state", "created_at"], name="comment_queue"),
            models.Index(fields=["fingerprint", "created_at"], name="comment_poster"),
            models.Index(fields=["text_key", "created_at"], name="comment_text_key"),
        ]

    def __str__(self) -> str:
        # Never the name, e-mail or text: this goes into the audit log.
        return f"Comment #{self.pk} on service #{self.service_id}"


class CommentFlag(models.Model):
    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam")
        ABUSE = "abuse", _("Abuse")
        OFF_TOPIC = "off_topic", _("Off-topic")
        PERSONAL_DATA = "personal_data", _("Personal data")

    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, related_name="flags")
    fingerprint = models.CharField(max_length=32)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    created_at = models.DateTimeField()
    reviewed = models.BooleanField(default=False)  # a moderator has acted on the comment since

    class Meta:
        constraints = [
            # One reader's flags on one comment count once.
            models.UniqueConstraint(fields=["comment", "fingerprint"], name="flag_once")
        ]
        indexes = [models.Index(fields=["fingerprint", "created_at"], name="flag_flagger")]
