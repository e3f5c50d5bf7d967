"""The admin site: a login form that asks for a one-time code, and two-factor required of
administrators (superusers and the Administrators group) when ADMIN_OTP_REQUIRED is on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm

from moderation.models import AuditEntry
from moderation.panel.audit_targets import audit_targets
from moderation.panel.counts import pending_counts
from moderation.roles import is_administrator


def otp_required(user: object) -> bool:
    return bool(settings.ADMIN_OTP_REQUIRED) and is_administrator(user)


def otp_satisfied(user: object) -> bool:
    """False for an administrator who must and has not verified a device in this session."""
    return not otp_required(user) or bool(getattr(user, "is_verified", lambda: False)())


class AdminLoginForm(OTPAdminAuthenticationForm):  # type: ignore[misc]  # (django-otp: untyped)
    """Password, then the code of the account's device when it has one or must have one.
    A moderator without a device signs in with the password alone."""

    def clean(self):  # type: ignore[no-untyped-def]
        self.cleaned_data = super(OTPAdminAuthenticationForm, self).clean()
        user = self.get_user()
        if user is not None and (otp_required(user) or any(devices_for_user(user))):
            self.clean_otp(user)
        return self.cleaned_data

    def _chosen_device(self, user):  # type: ignore[no-untyped-def]
        # Most accounts have one device: use it when none was picked from the list.
        device = super()._chosen_device(user)
        if device is None:
            device = next(iter(devices_for_user(user, for_verify=True)), None)
        return device


class ModerationAdminSite(admin.AdminSite):
    site_header = "Outages administration"
    site_title = "Outages admin"
    login_form = AdminLoginForm
    login_template = "admin/otp_login.html"
    index_template = "admin/moderation_index.html"

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """The admin's index with what waits for a moderator and the latest audited actions
        (Django's "Recent actions" only knows of the admin's own edits)."""
        recent = list(AuditEntry.objects.order_by("-at", "-id")[:10])
        targets = audit_targets(recent)
        context = {
            "pending": pending_counts(now=timezone.now()),
            "audit_recent": [(entry, targets[entry.pk]) for entry in recent],
            **(extra_context or {}),
        }
        return super().index(request, context)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and otp_satisfied(request.user)
