"""Anonymous reporter, network and user-agent fingerprints, keyed with a salt that rotates
every UTC day.

The raw address is used only here, in memory, and never leaves this module. Salts older than
48 hours are destroyed (salt_rotate), after which no fingerprint can be linked to an address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction

from reports.models import Salt

_salts: dict[date, bytes] = {}


@dataclass(frozen=True)
class Fingerprints:
    reporter: str
    network: str
    agent: str


def fingerprints_for(*, address: str, user_agent: str, now: datetime) -> Fingerprints:
    salt = salt_for_day(now.date())
    return Fingerprints(
        reporter=_keyed_hash(salt, f"{address}\n{user_agent}"),
        network=_keyed_hash(salt, network_prefix(address)),
        agent=_keyed_hash(salt, user_agent),
    )


def reporter_before_midnight(
    *, address: str, user_agent: str, now: datetime, window: timedelta
) -> str | None:
    """The reporter's fingerprint under the previous UTC day's salt, if `window` before `now`
    falls on that day (the first minutes after midnight); else None.

    A window (the dedupe window) that began before midnight must still hold after it, though
    the same person's fingerprint changed with the salt."""
    earlier = (now - window).date()
    if earlier == now.date():
        return None
    return _keyed_hash(salt_for_day(earlier), f"{address}\n{user_agent}")


def network_prefix(address: str) -> str:
    """The /24 of an IPv4 address or the /48 of an IPv6 one: roughly one subscriber network."""
    octets = address.split(".")
    if len(octets) == 4 and all(map(_is_octet, octets)):  # the common case, without ipaddress
        return f"{octets[0]}.{octets[1]}.{octets[2]}.0/24"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    bits = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{bits}", strict=False))


def _is_octet(text: str) -> bool:
    """What ipaddress accepts in a dotted quad: 0-255, ASCII digits, no leading zero."""
    return (
        0 < len(text) <= 3
        and text.isascii()
        and text.isdigit()
        and (text == "0" or text[0] != "0")
        and int(text) <= 255
    )


def salt_for_day(day: date) -> bytes:
    salt = _salts.get(day)
    if salt is None:
        salt = _salt_load_or_create(day)
        if len(_salts) >= 2:  # keep today's and yesterday's salts in memory, no more
            del _salts[min(_salts)]
        _salts[day] = salt
    return salt


def salts_forget() -> None:
    """Drop the salts kept in memory (tests: a salt whose row a rolled-back transaction took
    with it must not outlive it here)."""
    _salts.clear()


def salt_rotate(*, now: datetime) -> int:
    """Make sure today's and tomorrow's salts exist; destroy salts older than yesterday.

    Returns how many salts were destroyed.
    """
    today = now.date()
    for day in (today, today + timedelta(days=1)):
        _salt_load_or_create(day)
    deleted, _ = Salt.objects.filter(day__lt=today - timedelta(days=1)).delete()
    return deleted


def _salt_load_or_create(day: date) -> bytes:
    row = Salt.objects.filter(day=day).first()
    if row is None:
        try:
            with transaction.atomic():
                row = Salt.objects.create(day=day, secret=secrets.token_bytes(32))
        except IntegrityError:  # another process created it first
            row = Salt.objects.get(day=day)
    return bytes(row.secret)


def _keyed_hash(salt: bytes, value: str) -> str:
    return hashlib.blake2b(value.encode(), key=salt, digest_size=16).hexdigest()
