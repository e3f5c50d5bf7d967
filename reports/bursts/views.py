"""Moderators' burst list under /moderation/bursts/: suspicious bursts with their size and
share of the spike, and void / undo buttons (CSRF-protected POSTs). Thin: the work is in
reports.bursts.selectors and reports.bursts.services."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from outages.models import Service
from reports.bursts.selectors import bursts_suspicious
from reports.bursts.services import BurstInvalid, burst_void, burst_void_undo
from reports.models import BurstKind, BurstVoid

PERIODS = (6, 24, 48)  # hours a moderator can look back


def moderator_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Anonymous visitors go to the login page; signed-in users without the permission get 403."""
    checked = permission_required("reports.void_burst", raise_exception=True)(view)
    return login_required(login_url=reverse_lazy("admin:login"))(checked)


class VoidForm(forms.Form):
    service = forms.ModelChoiceField(queryset=Service.objects.all())
    kind = forms.ChoiceField(choices=BurstKind.choices)
    key = forms.CharField(max_length=200)
    start = forms.DateTimeField()
    end = forms.DateTimeField()


@require_GET
@moderator_only
def burst_list(request: HttpRequest) -> HttpResponse:
    try:
        hours = int(request.GET.get("hours", 24))
    except ValueError:
        hours = 24
    hours = hours if hours in PERIODS else 24
    now = timezone.now()
    bursts = bursts_suspicious(since=now - timedelta(hours=hours), until=now)
    return render(
        request,
        "moderation/bursts.html",
        {"bursts": bursts, "hours": hours, "periods": PERIODS},
    )


@require_POST
@moderator_only
def burst_void_view(request: HttpRequest) -> HttpResponse:
    form = VoidForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(request, _("Not voided: %(field)s: %(reason)s")
                           % {"field": field, "reason": " ".join(map(str, errors))})  # fmt: skip
        return redirect("burst_list")
    try:
        void = burst_void(**form.cleaned_data, actor=request.user)
    except BurstInvalid as invalid:
        messages.error(request, _("Not voided: %(field)s: %(reason)s")
                       % {"field": invalid.field, "reason": invalid.reason})  # fmt: skip
        return redirect("burst_list")
    messages.success(request, _("Voided %(size)d reports.") % {"size": void.size})
    return redirect("burst_list")


@require_POST
@moderator_only
def burst_undo_view(request: HttpRequest, pk: int) -> HttpResponse:
    void = get_object_or_404(BurstVoid, pk=pk)
    burst_void_undo(void=void, actor=request.user)
    messages.success(request, _("Restored %(size)d reports.") % {"size": void.size})
    return redirect("burst_list")
