"""Login throttling without raw addresses: what django-axes stores as the "IP address" of an
attempt is a keyed hash of it (the day's fingerprint salt), written as an IPv6 address in the
unique-local range fd00::/8 because axes keeps it in an IP address column. Once the day's salt
is destroyed (after 48 hours) nobody can tell which address it was."""

from __future__ import annotations

import hashlib
import ipaddress

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest
from django.utils import timezone

from reports.intake.client import client_of
from reports.intake.fingerprint import salt_for_day


def hashed_client_address(request: HttpRequest) -> str:
    address = client_of(request).address
    salt = salt_for_day(timezone.now().date())
    keyed = hashlib.blake2b(b"login\n" + address.encode(), key=salt, digest_size=16)
    digest = bytearray(keyed.digest())
    digest[0] = 0xFD  # unique-local: never a routable address
    return str(ipaddress.IPv6Address(bytes(digest)))


class LoginThrottleBackend(AxesStandaloneBackend):  # type: ignore[misc]  # (axes: untyped)
    """axes' lockout check, for logins that come with a request (every HTTP login does).
    One without a request (a script, `Client.login` in tests) cannot be a remote guess: it is
    left to the next backend instead of failing with an error."""

    def authenticate(self, request, username=None, password=None, **kwargs):  # type: ignore[no-untyped-def]
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
