"""The moderation app's models: the permission-carrying proxies and service logos. The audit
log's model is common.audit.AuditEntry (app label "moderation"), re-exported here."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from common.audit import AuditEntry
from outages.models import Incident, Service

__all__ = ["AuditEntry", "IncidentModeration", "ServiceLogo", "ServiceModeration"]


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
    redaction can be put right, and only for the retention period: a daily task deletes the
    row once `purge_after` has passed (moderation.tasks). The audit log records that a
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
