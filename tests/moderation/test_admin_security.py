"""The admin's door: failed logins lock out one username from one address (and nothing
stores that address, only a keyed hash of it); administrators verify a TOTP device when
two-factor is required; cookies are secure and HttpOnly in production."""

from __future__ import annotations

import ipaddress
import json
import time

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TOTPDeviceFactory
from tests.moderation.conftest import PASSWORD, member
from tests.test_settings import PRODUCTION, start, started

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"
HOME = "198.51.100.7"
CAFE = "203.0.113.9"


def login(username: str, password: str, address: str = HOME, **extra: str) -> Client:
    client = Client(REMOTE_ADDR=address)
    client.response = client.post(  # type: ignore[attr-defined]
        LOGIN, {"username": username, "password": password, **extra}
    )
    return client


def signed_in(client: Client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def limit(settings, midday):
    # Lockouts are keyed by the day's salt (moderation/security.py): at midnight UTC the same
    # address gets a new key, so the clock stays in one day.
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def test_failures_lock_out_the_username_from_that_address_only(moderator, limit):
    for _ in range(limit - 1):
        assert login("mod", "wrong").response.status_code == 200  # the form, with an error
    assert login("mod", "wrong").response.status_code == 429  # the last failure allowed

    locked = login("mod", PASSWORD)
    assert locked.response.status_code == 429
    assert locked.response["X-Frame-Options"] == "DENY"  # the lockout page is not frameable
    assert not signed_in(locked)
    assert signed_in(login("mod", PASSWORD, address=CAFE))  # another address: not locked
    member("other", None)
    assert signed_in(login("other", PASSWORD))  # another username from the same address


def test_a_success_before_the_limit_resets_the_count(moderator, limit):
    for _ in range(limit - 1):
        login("mod", "wrong")
    assert signed_in(login("mod", PASSWORD))
    for _ in range(limit - 1):
        login("mod", "wrong")
    assert signed_in(login("mod", PASSWORD))


def test_login_records_hold_a_keyed_hash_never_the_address(moderator, limit):
    for _ in range(limit):
        login("mod", "wrong", address=HOME)
    login("mod", PASSWORD, address=CAFE)

    hashed = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    hashed |= set(AccessLog.objects.values_list("ip_address", flat=True))
    assert len(hashed) == 2
    for value in hashed:
        assert ipaddress.ip_address(value) in ipaddress.ip_network("fd00::/8")
    stored = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
                stored += [str(value) for row in cursor.fetchall() for value in row]
    for address in (HOME, CAFE):
        assert not [value for value in stored if address in value]


# --- Two-factor -----------------------------------------------------------------------------


@pytest.fixture
def required(settings):
    settings.ADMIN_OTP_REQUIRED = True


def code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_an_administrator_needs_a_verified_device(administrator, required):
    assert not signed_in(login("boss", PASSWORD))

    device = TOTPDeviceFactory(user=administrator)
    assert not signed_in(login("boss", PASSWORD, otp_token="000000"))
    device.refresh_from_db()
    assert device.throttling_failure_count == 1  # the next try waits a moment (django-otp)
    device.throttle_reset()
    assert signed_in(login("boss", PASSWORD, otp_token=code(device)))


def test_a_signed_in_but_unverified_administrator_is_sent_to_the_login(administrator, required):
    client = Client()
    client.force_login(administrator, backend="django.contrib.auth.backends.ModelBackend")

    response = client.get("/admin/")

    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/moderation/incidents/").status_code == 302


def test_a_superuser_counts_as_an_administrator(db, required):
    User.objects.create_superuser("root", password=PASSWORD)
    assert not signed_in(login("root", PASSWORD))


def test_a_moderator_may_sign_in_with_the_password_alone(moderator, required):
    assert signed_in(login("mod", PASSWORD))


def test_a_moderator_with_a_device_must_use_it(moderator, required):
    device = TOTPDeviceFactory(user=moderator)
    assert not signed_in(login("mod", PASSWORD))
    assert signed_in(login("mod", PASSWORD, otp_token=code(device)))


def test_the_embedded_default_lets_a_dev_superuser_in_with_a_password(db, settings):
    assert settings.ADMIN_OTP_REQUIRED is False
    User.objects.create_superuser("dev", password=PASSWORD)
    assert signed_in(login("dev", PASSWORD))


# --- Cookies --------------------------------------------------------------------------------

_COOKIES = """
import json
import django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE", "CSRF_COOKIE_SAMESITE", "ADMIN_OTP_REQUIRED")}))
"""


def cookie_settings(environment: dict[str, str], monkeypatch) -> dict[str, object]:
    monkeypatch.setattr("tests.test_settings._REPORT", _COOKIES)
    return started(start(environment))


def test_production_cookies_are_secure_httponly_and_same_site(monkeypatch):
    found = cookie_settings(PRODUCTION, monkeypatch)
    assert found == {
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SAMESITE": "Lax",
        "ADMIN_OTP_REQUIRED": True,
    }
    relaxed = cookie_settings({**PRODUCTION, "SECURE_COOKIES": "0"}, monkeypatch)
    assert relaxed["SESSION_COOKIE_SECURE"] is False
    assert cookie_settings({}, monkeypatch)["ADMIN_OTP_REQUIRED"] is False


def test_the_session_cookie_is_httponly(moderator):
    client = login("mod", PASSWORD)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    json.dumps(dict(cookie))  # plain values only


def test_a_login_without_a_request_is_not_throttled_nor_an_error(moderator, limit):
    for _ in range(limit):
        login("mod", "wrong")
    client = Client()
    assert client.login(username="mod", password=PASSWORD)  # no HTTP request: no lockout
    assert not Client().login(username="mod", password="wrong")
    assert login("mod", PASSWORD).response.status_code == 429  # over HTTP, still locked
