"""The focused moderation pages (the admin has the same actions in bulk)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from moderation.access import moderator_required
from moderation.models import AuditEntry
from moderation.services import (
    NOTE_MAX_CHARS,
    incident_confirm,
    incident_dismiss,
    incident_note_set,
)
from outages.models import Incident

REVIEW = "moderation.review_incident"


class IncidentReviewForm(forms.Form):
    action = forms.ChoiceField(choices=[("note", "note"), ("confirm", "confirm"),
                                        ("dismiss", "dismiss")])  # fmt: skip
    public_note = forms.CharField(required=False, max_length=NOTE_MAX_CHARS,
                                  widget=forms.Textarea(attrs={"rows": 4}))  # fmt: skip


@moderator_required(REVIEW)
def incident_queue(request: HttpRequest) -> HttpResponse:
    incidents = (
        Incident.objects.select_related("service")
        .filter(review=Incident.Review.UNREVIEWED)
        .exclude(visibility=Incident.Visibility.RETRACTED)
        .order_by("-started_at")[:100]
    )
    return render(request, "moderation/incident_queue.html", {"incidents": incidents})


@moderator_required(REVIEW)
@require_http_methods(["GET", "POST"])
def incident_review(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("service"), pk=pk)
    form = IncidentReviewForm(
        request.POST or None, initial={"public_note": incident.public_note, "action": "note"}
    )
    if request.method == "POST" and form.is_valid():
        action = form.cleaned_data["action"]
        try:
            with transaction.atomic():  # the note and the verdict together, or neither
                incident_note_set(actor=request.user, incident=incident,
                                  note=form.cleaned_data["public_note"])  # fmt: skip
                if action == "confirm":
                    incident_confirm(actor=request.user, incident=incident)
                elif action == "dismiss":
                    incident_dismiss(actor=request.user, incident=incident, at=timezone.now())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Incident {incident.pk}: {action} done.")
            return redirect("moderation:incident_review", pk=incident.pk)
    history = AuditEntry.objects.filter(target_type="outages.incident", target_id=str(pk))[:20]
    status = 400 if form.errors else 200
    context = {"incident": incident, "form": form, "history": history}
    return render(request, "moderation/incident_review.html", context, status=status)
