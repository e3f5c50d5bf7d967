"""The audit log: its model and its one door. Every moderator action, in any app, calls
`audit_record` inside the same transaction as its change, so that an action that fails leaves
neither a change nor a log row.

It lives in common (a leaf) because comments, reports and moderation all write to it. The
model keeps the app label "moderation": its table, its migrations, its permissions
(`moderation.view_auditentry`) and its admin pages stay where they were.

An action no account took is recorded with no actor and a name: "system" for what the site
does by itself (a comment hidden by its flags), "command line" for `manage.py` commands
(`COMMAND_LINE`), a name no account can have (usernames hold no spaces).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models, transaction


class AuditEntry(models.Model):
    """One moderator action: who did what to which object, when, and the object's state before
    and after. Written in the same transaction as the action (`audit_record`), and never
    edited afterwards: the admin shows it read-only."""

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
        app_label = "moderation"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.actor_name} {self.action} {self.target_repr}"


@dataclass(frozen=True)
class SystemActor:
    """Who acted when no account did: recorded as no actor and this name."""

    name: str
    pk: None = None

    def get_username(self) -> str:
        return self.name


COMMAND_LINE = SystemActor("command line")


def audit_record(
    *,
    actor: Any,
    action: str,
    target: models.Model,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> AuditEntry:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the action's transaction")
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_name=getattr(actor, "get_username", lambda: "system")(),
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_repr=str(target)[:200],
        before=dict(before),
        after=dict(after),
    )
