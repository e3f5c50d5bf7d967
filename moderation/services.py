"""Moderator and administrator actions on incidents and services. Each runs in one
transaction with its audit entry (common.audit), so it happens with its record or not at
all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from common.audit import audit_record
from outages.models import Incident
from outages.services.incidents import incident_restore, incident_retract

NOTE_MAX_CHARS = 2000


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
        audit_record(actor=actor, action="incident.confirm", target=incident,
                     before=before, after=_review_state(incident))  # fmt: skip
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
        audit_record(actor=actor, action="incident.dismiss", target=incident,
                     before=before, after=_review_state(incident))  # fmt: skip
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
        audit_record(actor=actor, action="incident.note", target=incident,
                     before=before, after=_review_state(incident))  # fmt: skip
    return incident
