"""A moderator's own second factor: a TOTP device enrolled from the panel after the first
sign-in, by scanning a QR code (drawn by segno as inline SVG: no image file, no script).
The device counts only once a code from it has been checked; until then the login form does
not ask for one. Administrators get theirs from `manage.py roles totp-add` (docs/operations.md)."""

from __future__ import annotations

from typing import Any

import segno
from django.db import transaction
from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation.audit import audit_record

DEVICE_NAME = "authenticator"


def totp_enrolled(user: Any) -> bool:
    return any(devices_for_user(user, confirmed=True))


def totp_device_pending(*, user: Any) -> TOTPDevice:
    """The account's device waiting for its first code, created on first use (one per
    account: reloading the page shows the same QR code)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def totp_device_confirm(*, user: Any, token: str) -> TOTPDevice | None:
    """Check a code from the pending device; when right, the device counts from now on (and
    is audited). Returns the device, or None for a wrong code (nothing changes)."""
    device = totp_device_pending(user=user)
    if not device.verify_token(token.strip().replace(" ", "")):
        return None
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(
            actor=user,
            action="account.totp_enrol",
            target=device,
            before={"confirmed": False},
            after={"confirmed": True},
        )
    return device


def qr_svg(text: str, *, title: str) -> str:
    """`text` as a QR code in an <svg> element, dark on white whatever the page's theme."""
    code = segno.make(text, error="m")
    return str(code.svg_inline(scale=5, dark="#000", light="#fff", title=title))
