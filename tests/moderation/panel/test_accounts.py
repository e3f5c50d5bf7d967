"""A moderator enrols their own authenticator app by QR code after a first sign-in, and from
then on signs in with a code; the login form says when a code is needed."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation.models import AuditEntry
from tests.factories import TOTPDeviceFactory
from tests.moderation.conftest import PASSWORD

pytestmark = pytest.mark.django_db
ENROL = "/moderation/account/two-factor/"


def code_of(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(username: str, code: str = "") -> Client:
    client = Client()
    client.post("/admin/login/", {"username": username, "password": PASSWORD, "otp_token": code})
    return client


def test_the_login_form_says_when_a_code_is_needed(client):
    page = client.get("/admin/login/").content.decode()

    assert "Code from your authenticator app" in page
    assert "administrators always need one" in page
    assert "OTP Token" not in page


def test_a_moderator_signs_in_with_the_password_then_enrols_by_qr_code(moderator, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # the right code follows the wrong one at once
    client = sign_in("mod")
    home = client.get("/moderation/")
    assert home.status_code == 200
    assert "Enrol an authenticator app" in home.content.decode()

    page = client.get(ENROL)

    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and 'class="segno"' in body and "<script>" not in body
    device = TOTPDevice.objects.get(user=moderator)
    assert not device.confirmed
    assert client.get(ENROL).status_code == 200
    assert TOTPDevice.objects.filter(user=moderator).count() == 1  # the same QR on reload

    wrong = client.post(ENROL, {"token": "000000" if code_of(device) != "000000" else "111111"})
    assert wrong.status_code == 400 and not TOTPDevice.objects.get().confirmed

    right = client.post(ENROL, {"token": code_of(device)})

    assert right.status_code == 302 and right["Location"] == "/moderation/"
    assert TOTPDevice.objects.get().confirmed
    assert AuditEntry.objects.get().action == "account.totp_enrol"
    assert "Enrol an authenticator app" not in client.get("/moderation/").content.decode()


def test_once_enrolled_the_sign_in_needs_the_code(moderator):
    device = TOTPDeviceFactory(user=moderator)

    assert sign_in("mod").get("/moderation/").status_code == 302
    device.refresh_from_db()
    assert sign_in("mod", code_of(device)).get("/moderation/").status_code == 200


def test_an_enrolled_account_is_not_shown_a_new_qr_code(moderator):
    device = TOTPDeviceFactory(user=moderator)
    client = sign_in("mod", code_of(device))

    page = client.get(ENROL).content.decode()

    assert "has an authenticator app" in page and "<svg" not in page
    assert TOTPDevice.objects.count() == 1
