from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from outages.models import Incident, Service


class AuditEntry(models.Model):
    """One moderator action: who did what to which object, when, and the object's state before
    and after. Written in the same transaction as the action (moderation.audit.audit_record),
    and never edited afterwards: the admin shows it read-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(max_length=150)  # kept if the account is deleted
    action = models.CharField(max_length=40)  # e.g. "comment.approve", "burst.void"
    target_type = models.CharField(max_length=60)  # "app_label.model"
    target_id = models.CharField(max_length=64)
    target_repr = models.CharField(max_length=200)
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_repr}"


class IncidentModeration(Incident):
    """Carries `moderation.review_incident` (confirm, dismiss, public note): a proxy, so no
    table and no migration of the outages app."""

    class Meta:
        proxy = True
        default_permissions = ()
        permissions = [
            ("review_incident", "Can confirm or dismiss an incident and edit its public note")
        ]


class ServiceModeration(Service):
    """Carries `moderation.merge_service`: a proxy, like IncidentModeration."""

    class Meta:
        proxy = True
        default_permissions = ()
        permissions = [("merge_service", "Can merge a duplicate service into another")]


class ServiceLogo(models.Model):
    """A service's logo, by address (an https image URL): kept beside the service so that a
    logo needs no image library and no uploads to store."""

    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="logo")
    url = models.URLField(max_length=500)

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        if not self.url.startswith("https://"):
            raise ValidationError({"url": "A logo must be served over https."})


class CommentRedaction(models.Model):
    """The words a moderator took out of a comment (personal data, say), kept so that a wrong
    redaction can be put right, and only for the retention period: the retention job deletes
    the row once `purge_after` has passed (moderation.privacy). The audit log records that a
    redaction happened, never the words."""

    comment = models.ForeignKey(
        "comments.Comment", on_delete=models.CASCADE, related_name="redactions"
    )
    original = models.TextField()  # the comment's whole text before this redaction
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    purge_after = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Redaction of comment #{self.comment_id}"
