"""network_prefix reads dotted quads itself (the hot path) and must agree with ipaddress; the
reporter's fingerprint of the day before is given only just after midnight."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reports.intake.fingerprint import fingerprints_for, network_prefix, reporter_before_midnight


def _by_ipaddress(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 48}", strict=False))


def test_it_gives_the_24_of_an_ipv4_address_and_the_48_of_an_ipv6_one():
    assert network_prefix("198.51.100.123") == "198.51.100.0/24"
    assert network_prefix("::ffff:192.0.2.77") == "192.0.2.0/24"
    assert network_prefix("2001:db8:85a3::8a2e:370:7334") == "2001:db8:85a3::/48"
    assert network_prefix("not an address") == "unknown"


def test_it_refuses_what_ipaddress_refuses():
    for address in [
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3",
        "1.2.3.4.5",
        "1..3.4",
        "1.2.3.+4",
        "1_0.2.3.4",
        "١.2.3.4",
        "1.2.3.4 ",
        "",
    ]:
        assert network_prefix(address) == _by_ipaddress(address), address


@given(
    st.lists(
        st.sampled_from(
            ["0", "00", "1", "09", "10", "99", "255", "256", "999", "", "a", "²", "+1", " 1"]
        ),
        min_size=3,
        max_size=5,
    )
)
def test_it_agrees_with_ipaddress_on_dotted_strings(parts):
    address = ".".join(parts)
    assert network_prefix(address) == _by_ipaddress(address)


@given(st.ip_addresses())
def test_it_agrees_with_ipaddress_on_any_address(ip):
    assert network_prefix(str(ip)) == _by_ipaddress(str(ip))


@pytest.mark.django_db
def test_the_fingerprint_before_midnight_is_given_only_while_a_window_may_span_it():
    person = {"address": "198.51.100.20", "user_agent": "phone"}
    midnight, window = datetime(2026, 11, 25, tzinfo=UTC), timedelta(minutes=15)
    yesterday = fingerprints_for(**person, now=midnight - timedelta(minutes=1)).reporter

    def before_midnight(now: datetime) -> str | None:
        return reporter_before_midnight(**person, now=now, window=window)

    assert before_midnight(midnight) == yesterday
    assert before_midnight(midnight + timedelta(minutes=14, seconds=59)) == yesterday
    assert before_midnight(midnight + timedelta(minutes=15)) is None
    assert before_midnight(midnight - timedelta(minutes=1)) is None  # the same day's salt
