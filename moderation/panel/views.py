"""The moderation home, the counts its pages poll, and a moderator's own second factor."""

from __future__ import annotations

from base64 import b32encode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_otp import login as otp_login

from moderation.access import PANEL_PERMISSIONS, moderator_required
from moderation.models import AuditEntry
from moderation.panel.accounts import (
    qr_svg,
    totp_device_confirm,
    totp_device_pending,
    totp_enrolled,
)
from moderation.panel.audit_targets import audit_targets
from moderation.panel.counts import pending_counts

POLL_SECONDS = 20  # how often the pages ask for the counts


@require_GET
@moderator_required(*PANEL_PERMISSIONS)
def home(request: HttpRequest) -> HttpResponse:
    recent = list(AuditEntry.objects.order_by("-at", "-id")[:10])
    targets = audit_targets(recent)
    context = {
        "counts": pending_counts(now=timezone.now()),
        "recent": [(entry, targets[entry.pk]) for entry in recent],
        "needs_totp": not totp_enrolled(request.user),
        "menu": "home",
    }
    return render(request, "moderation/home.html", context)


@require_GET
@never_cache
@moderator_required(*PANEL_PERMISSIONS)
def counts(request: HttpRequest) -> JsonResponse:
    return JsonResponse(pending_counts(now=timezone.now()).as_dict())


@require_http_methods(["GET", "POST"])
@moderator_required(*PANEL_PERMISSIONS)
def totp_enrol(request: HttpRequest) -> HttpResponse:
    """Shows the pending device's QR code; a right code from it enrols the device and marks
    this session verified (the next sign-in asks for a code)."""
    if totp_enrolled(request.user):
        return render(request, "moderation/totp.html", {"enrolled": True, "menu": "home"})
    error = ""
    if request.method == "POST":
        device = totp_device_confirm(user=request.user, token=request.POST.get("token", ""))
        if device is not None:
            otp_login(request, device)
            messages.success(request, _("Your authenticator app is enrolled."))
            return redirect("moderation:home")
        error = _("This code is not the one the app shows now: try the next one.")
    device = totp_device_pending(user=request.user)
    context = {
        "enrolled": False,
        "menu": "home",
        "qr": qr_svg(device.config_url, title=_("QR code for your authenticator app")),
        "secret": b32encode(device.bin_key).decode().rstrip("="),
        "error": error,
    }
    return render(request, "moderation/totp.html", context, status=400 if error else 200)
