"""The focused incident pages of the moderation panel (the admin has the same actions in
bulk): the incidents waiting for review, and one incident with its chart, breakdowns, why it
is suspicious and the bursts voided in it, with note, confirm, publish, dismiss and undo."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from moderation.access import moderator_required
from moderation.models import AuditEntry
from moderation.panel.audit_targets import burst_page_url
from moderation.services import (
    NOTE_MAX_CHARS,
    incident_confirm,
    incident_dismiss,
    incident_note_set,
    incident_publish,
    incident_verdict_undo,
)
from outages import charts, selectors
from outages.incident_rules import MAX_SOURCE_SHARE, MIN_REPORTERS
from outages.models import Incident
from reports.models import BurstVoid

REVIEW = "moderation.review_incident"


class IncidentReviewForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(a, a) for a in ("note", "confirm", "publish", "dismiss", "undo")]
    )
    public_note = forms.CharField(
        required=False, max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 4})
    )


@moderator_required(REVIEW)
def incident_queue(request: HttpRequest) -> HttpResponse:
    waiting = Incident.objects.filter(review=Incident.Review.UNREVIEWED).exclude(
        visibility=Incident.Visibility.RETRACTED
    )
    suspicious_only = request.GET.get("show") == "suspicious"
    if suspicious_only:
        waiting = waiting.filter(visibility=Incident.Visibility.SUSPICIOUS)
    incidents = waiting.select_related("service").order_by("-started_at")[:100]
    context = {"incidents": incidents, "suspicious_only": suspicious_only, "menu": "incidents"}
    return render(request, "moderation/incident_queue.html", context)


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
            _review_act(request, incident, action, form.cleaned_data["public_note"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _done(action) % {"pk": incident.pk})
            return redirect("moderation:incident_review", pk=incident.pk)
    status = 400 if form.errors else 200
    return render(
        request, "moderation/incident_review.html", _review_context(incident, form), status=status
    )


def _review_act(request: HttpRequest, incident: Incident, action: str, note: str) -> None:
    now = timezone.now()
    with transaction.atomic():  # the note and the verdict together, or neither
        if action != "undo":
            incident_note_set(actor=request.user, incident=incident, note=note)
        if action == "confirm":
            incident_confirm(actor=request.user, incident=incident)
        elif action == "publish":
            incident_publish(actor=request.user, incident=incident, at=now)
        elif action == "dismiss":
            incident_dismiss(actor=request.user, incident=incident, at=now)
        elif action == "undo":
            incident_verdict_undo(actor=request.user, incident=incident, at=now)


def _done(action: str) -> str:
    return {
        "note": _("Incident %(pk)d: note saved."),
        "confirm": _("Incident %(pk)d confirmed."),
        "publish": _("Incident %(pk)d published."),
        "dismiss": _("Incident %(pk)d dismissed: withdrawn from the public pages."),
        "undo": _("Incident %(pk)d: the last verdict is taken back."),
    }[action]


def _review_context(incident: Incident, form: IncidentReviewForm) -> dict[str, object]:
    now = timezone.now()
    series = selectors.incident_series(incident=incident, now=now)
    title = _("%(name)s: reports per minute") % {"name": incident.service.name}
    bursts = BurstVoid.objects.filter(
        service_id=incident.service_id, end__gt=incident.started_at
    ).order_by("start")
    if incident.ended_at:
        bursts = bursts.filter(start__lt=incident.ended_at)
    return {
        "incident": incident,
        "form": form,
        "history": AuditEntry.objects.filter(
            target_type="outages.incident", target_id=str(incident.pk)
        )[:20],
        "figure": charts.spike_chart(series, title=title),
        "platforms": sorted(incident.platforms.items(), key=lambda kv: -kv[1]),
        "problems": sorted(incident.problems.items(), key=lambda kv: -kv[1]),
        "bursts": [(void, burst_page_url(void)) for void in bursts],
        "rule": {"reporters": MIN_REPORTERS, "share": round(MAX_SOURCE_SHARE * 100)},
        "menu": "incidents",
    }
