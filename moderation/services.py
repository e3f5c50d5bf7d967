"""Moderator and administrator actions on incidents and services. Each runs in one
transaction with its audit entry (common.audit), so it happens with its record or not at
all."""

from __future__ import annotations

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


def incident_confirm(*, actor: Any, incident: Incident) -> Incident:
    """A moderator confirms the incident is real. A dismissed one is published again."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        before = _review_state(incident)
        if incident.visibility == Incident.Visibility.RETRACTED:
            incident_restore(incident)
        incident.review = Incident.Review.CONFIRMED
        incident.save(update_fields=["review", "updated_at"])
        audit_record(
            actor=actor,
            action="incident.confirm",
            target=incident,
            before=before,
            after=_review_state(incident),
        )
    return incident


def incident_dismiss(*, actor: Any, incident: Incident, at: datetime) -> Incident:
    """A moderator dismisses the incident as not real: it is retracted from the public pages,
    and those alerted of it are told (a retraction event in the alert outbox)."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        before = _review_state(incident)
        if incident.visibility != Incident.Visibility.RETRACTED:
            incident_retract(incident, at=at)
        incident.review = Incident.Review.DISMISSED
        incident.save(update_fields=["review", "updated_at"])
        audit_record(
            actor=actor,
            action="incident.dismiss",
            target=incident,
            before=before,
            after=_review_state(incident),
        )
    return incident


def incident_note_set(*, actor: Any, incident: Incident, note: str) -> Incident:
    """Attach, edit or (with "") remove the moderators' public note shown with the incident."""
    note = note.strip().replace("\r\n", "\n")
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError(
            {"public_note": f"At most {NOTE_MAX_CHARS} characters, not {len(note)}."}
        )
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.public_note == note:
            return incident
        before = _review_state(incident)
        incident.public_note = note
        incident.save(update_fields=["public_note", "updated_at"])
        audit_record(
            actor=actor,
            action="incident.note",
            target=incident,
            before=before,
            after=_review_state(incident),
        )
    return incident


def incident_publish(*, actor: Any, incident: Incident, at: datetime) -> Incident:
    """A moderator publishes a suspicious incident (raised by few reporters or one source):
    confirmed, public and announced to subscribers."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.visibility != Incident.Visibility.SUSPICIOUS:
            raise ValidationError({"action": "Only a suspicious incident waits to be published."})
        before = _review_state(incident)
        publish(incident, at=at)
        incident.review = Incident.Review.CONFIRMED
        incident.save(update_fields=["review", "updated_at"])
        audit_record(
            actor=actor,
            action="incident.publish",
            target=incident,
            before=before,
            after=_review_state(incident),
        )
    return incident


def incident_verdict_undo(*, actor: Any, incident: Incident, at: datetime) -> Incident:
    """Take back the incident's last verdict (confirm, dismiss or publish): its review and
    visibility as they were before it. A dismissal undone publishes the incident again; a
    publication undone withdraws it (subscribers hear of the retraction) and makes it
    suspicious again. Raises ValidationError when there is no verdict to take back."""
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
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
        before = _review_state(incident)
        _visibility_back(incident, to=last.before["visibility"], at=at)
        incident.review = last.before["review"]
        incident.save(update_fields=["review", "updated_at"])
        after = {**_review_state(incident), "undid": last.action}
        audit_record(
            actor=actor, action="incident.undo", target=incident, before=before, after=after
        )
    return incident


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
