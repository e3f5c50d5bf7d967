"""Moderator and administrator actions on incidents and services. Each runs in one
transaction with its audit entry (common.audit), so it happens with its record or not at
all."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from common.audit import AuditEntry, audit_record
from outages.models import Incident
from outages.services.incidents import incident_publish as publish
from outages.services.incidents import incident_restore, incident_retract

NOTE_MAX_CHARS = 2000
VERDICTS = ("incident.confirm", "incident.dismiss", "incident.publish")


def _review_state(incident: Incident) -> dict[str, Any]:
    return {
        "review": incident.review,
        "visibility": incident.visibility,
        "public_note": incident.public_note,
    }


def _review(
    *,
    actor: Any,
    incident: Incident,
    action: str,
    change: Callable[[Incident], dict[str, Any] | None],
) -> Incident:
    """Every review action's shape, in one transaction: lock the incident, let `change` check
    its state and change it (raising ValidationError if it may not; None: nothing to change),
    save the review and note, and audit the review state before and after (plus what `change`
    returned)."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        before = _review_state(incident)
        extra = change(incident)
        if extra is None:
            return incident
        incident.save(update_fields=["review", "public_note", "updated_at"])
        after = {**_review_state(incident), **extra}
        audit_record(actor=actor, action=action, target=incident, before=before, after=after)
    return incident


def incident_confirm(*, actor: Any, incident: Incident) -> Incident:
    """A moderator confirms the incident is real. A dismissed one is published again."""

    def confirm(incident: Incident) -> dict[str, Any]:
        if incident.visibility == Incident.Visibility.RETRACTED:
            incident_restore(incident)
        incident.review = Incident.Review.CONFIRMED
        return {}

    return _review(actor=actor, incident=incident, action="incident.confirm", change=confirm)


def incident_dismiss(*, actor: Any, incident: Incident, at: datetime) -> Incident:
    """A moderator dismisses the incident as not real: it is retracted from the public pages,
    and those alerted of it are told (a retraction event in the alert outbox)."""

    def dismiss(incident: Incident) -> dict[str, Any]:
        if incident.visibility != Incident.Visibility.RETRACTED:
            incident_retract(incident, at=at)
        incident.review = Incident.Review.DISMISSED
        return {}

    return _review(actor=actor, incident=incident, action="incident.dismiss", change=dismiss)


def incident_note_set(*, actor: Any, incident: Incident, note: str) -> Incident:
    """Attach, edit or (with "") remove the moderators' public note shown with the incident."""
    note = note.strip().replace("\r\n", "\n")
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError(
            {"public_note": f"At most {NOTE_MAX_CHARS} characters, not {len(note)}."}
        )

    def set_note(incident: Incident) -> dict[str, Any] | None:
        if incident.public_note == note:
            return None
        incident.public_note = note
        return {}

    return _review(actor=actor, incident=incident, action="incident.note", change=set_note)


def incident_publish(*, actor: Any, incident: Incident, at: datetime) -> Incident:
    """A moderator publishes a suspicious incident (raised by few reporters or one source):
    confirmed, public and announced to subscribers."""

    def confirm_and_publish(incident: Incident) -> dict[str, Any]:
        if incident.visibility != Incident.Visibility.SUSPICIOUS:
            raise ValidationError({"action": "Only a suspicious incident waits to be published."})
        publish(incident, at=at)
        incident.review = Incident.Review.CONFIRMED
        return {}

    return _review(
        actor=actor, incident=incident, action="incident.publish", change=confirm_and_publish
    )


def incident_verdict_undo(*, actor: Any, incident: Incident, at: datetime) -> Incident:
    """Take back the incident's last verdict (confirm, dismiss or publish): its review and
    visibility as they were before it. A dismissal undone publishes the incident again; a
    publication undone withdraws it (subscribers hear of the retraction) and makes it
    suspicious again. Raises ValidationError when there is no verdict to take back."""

    def undo(incident: Incident) -> dict[str, Any]:
        last = (
            AuditEntry.objects.filter(
                target_type="outages.incident",
                target_id=str(incident.pk),
                action__in=(*VERDICTS, "incident.undo"),
            )
            .order_by("-at", "-id")
            .first()
        )
        if last is None or last.action == "incident.undo":
            raise ValidationError({"action": "There is no verdict to take back."})
        _visibility_back(incident, to=last.before["visibility"], at=at)
        incident.review = last.before["review"]
        return {"undid": last.action}

    return _review(actor=actor, incident=incident, action="incident.undo", change=undo)


def _visibility_back(incident: Incident, *, to: str, at: datetime) -> None:
    if incident.visibility == to:
        return
    if to == Incident.Visibility.PUBLIC:
        incident_restore(incident)
    elif to == Incident.Visibility.RETRACTED:
        incident_retract(incident, at=at)
    else:  # back to suspicious: withdrawn from the public pages, announced as withdrawn
        if incident.visibility == Incident.Visibility.PUBLIC:
            incident_retract(incident, at=at)
        incident.visibility, incident.retracted_at = to, None
        incident.save(update_fields=["visibility", "retracted_at", "updated_at"])
