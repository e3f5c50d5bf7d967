"""The moderators' burst pages under /moderation/bursts/: the list of suspicious bursts in a
stable order, one burst with its context and a preview of its void (with a reason), and the
void and undo actions (CSRF-protected POSTs). Thin: the work is in reports.bursts and
moderation.panel.bursts."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from moderation.access import moderator_required
from moderation.panel.audit_targets import burst_page_url
from moderation.panel.bursts import (
    PUBLIC_LAG,
    Criteria,
    burst_context,
    bursts_in_order,
    void_preview,
)
from moderation.panel.counts import new_bursts_refresh
from outages.models import Service
from reports.bursts.selectors import bursts_suspicious
from reports.bursts.services import BurstInvalid, burst_void, burst_void_undo
from reports.models import BurstKind, BurstVoid, burst_key_label

VOID = "reports.void_burst"
PERIODS = (6, 24, 48)  # hours a moderator can look back


class BurstForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.all())
    kind = forms.ChoiceField(choices=BurstKind.choices)
    key = forms.CharField(max_length=200)
    start = forms.DateTimeField()
    end = forms.DateTimeField()
    reason = forms.CharField(max_length=500, required=False)

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        return Criteria(data["service"], data["kind"], data["key"], data["start"], data["end"])


def _refused(form: BurstForm) -> str:
    reasons = "; ".join(
        f"{field}: {' '.join(map(str, errors))}" for field, errors in form.errors.items()
    )
    return _("Not voided: %(reasons)s") % {"reasons": reasons}


@moderator_required(VOID)
@require_GET
def burst_list(request: HttpRequest) -> HttpResponse:
    try:
        hours = int(request.GET.get("hours", 24))
    except ValueError:
        hours = 24
    hours = hours if hours in PERIODS else 24
    now = timezone.now()
    bursts = bursts_in_order(bursts_suspicious(since=now - timedelta(hours=hours), until=now))
    context = {
        "bursts": bursts,
        "hours": hours,
        "periods": PERIODS,
        "menu": "bursts",
        "lag": PUBLIC_LAG,
    }
    return render(request, "moderation/bursts.html", context)


@moderator_required(VOID)
@require_GET
def burst_detail(request: HttpRequest) -> HttpResponse:
    """One burst: chart, mix, incidents and what a void would change."""
    form = BurstForm(request.GET)
    if not form.is_valid():
        return render(
            request, "moderation/burst.html", {"form": form, "menu": "bursts"}, status=400
        )
    criteria = form.criteria()
    context = {
        "form": form,
        "criteria": criteria,
        "key_label": burst_key_label(criteria.kind, criteria.key),
        "context": burst_context(criteria),
        "preview": void_preview(criteria, actor=request.user, now=timezone.now()),
        "void": BurstVoid.objects.filter(
            service=criteria.service,
            kind=criteria.kind,
            key=criteria.key,
            start=criteria.start,
            end=criteria.end,
            undone_at__isnull=True,
        ).first(),
        "lag": PUBLIC_LAG,
        "menu": "bursts",
    }
    return render(request, "moderation/burst.html", context)


@moderator_required(VOID)
@require_POST
def burst_void_view(request: HttpRequest) -> HttpResponse:
    form = BurstForm(request.POST)
    if not form.is_valid():
        messages.error(request, _refused(form))
        return redirect("moderation:bursts")
    try:
        void = burst_void(**form.cleaned_data, actor=request.user)
    except BurstInvalid as invalid:
        messages.error(
            request,
            _("Not voided: %(field)s: %(reason)s")
            % {"field": invalid.field, "reason": invalid.reason},
        )
        return redirect("moderation:bursts")
    new_bursts_refresh(now=timezone.now())
    messages.success(request, _("Voided %(size)d reports.") % {"size": void.size})
    return redirect(burst_page_url(void))


@moderator_required(VOID)
@require_POST
def burst_undo_view(request: HttpRequest, pk: int) -> HttpResponse:
    void = get_object_or_404(BurstVoid, pk=pk)
    burst_void_undo(void=void, actor=request.user)
    new_bursts_refresh(now=timezone.now())
    messages.success(request, _("Restored %(size)d reports.") % {"size": void.size})
    return redirect(burst_page_url(void))
