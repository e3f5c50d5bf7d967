"""The audit log's one door: every moderator action calls `audit_record` inside the same
transaction as its change, so that an action that fails leaves neither a change nor a log row."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction

from moderation.models import AuditEntry


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
