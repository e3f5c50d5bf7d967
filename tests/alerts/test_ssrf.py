"""The SSRF matrix: every internal target is refused before a socket is opened, and a canary
listening on loopback records no connection at all while the guard is closed."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from alerts.models import Delivery
from alerts.services.delivery import deliveries_send
from alerts.services.fanout import events_fan_out
from alerts.services.subscriptions import SubscriptionInvalid, subscription_create
from alerts.tasks import confirmation_enqueue
from common import ssrf
from tests.factories import IncidentEventFactory, IncidentFactory, ServiceFactory

CLOSED = ssrf.Policy(allow_loopback=False, https_only=False)


class Canary:
    def __init__(self) -> None:
        self.connections = 0
        canary = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                self.send_response(302)
                self.send_header("location", "http://127.0.0.1:1/")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address) -> bool:  # type: ignore[no-untyped-def]
                canary.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]


@pytest.fixture
def canary() -> Iterator[Canary]:
    found = Canary()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.server.shutdown()
    found.server.server_close()


def forbidden_urls(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/",
        f"http://127.1.2.3:{port}/",
        f"http://localhost:{port}/",  # a name that resolves to loopback
        f"http://[::1]:{port}/",
        f"http://[::ffff:127.0.0.1]:{port}/",
        f"http://[::ffff:7f00:1]:{port}/",
        f"http://2130706433:{port}/",  # decimal 127.0.0.1
        f"http://0x7f000001:{port}/",  # hex
        f"http://0x7f.0.0.1:{port}/",
        f"http://0177.0.0.1:{port}/",  # octal
        f"http://127.1:{port}/",  # short form
        f"http://0.0.0.0:{port}/",
        f"http://0:{port}/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://172.31.255.254/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://100.127.255.254/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[fd00:ec2::254]/",
        "http://[ff02::1]/",
        "http://[::]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
        "http://user:pass@example.com/",
        "ftp://example.com/",
        "file:///etc/passwd",
        "http:///nohost",
    ]


def test_every_internal_target_is_refused_and_the_canary_hears_nothing(canary):
    for url in forbidden_urls(canary.port):
        with pytest.raises(ssrf.Refused):
            ssrf.post(url, b"{}", {}, policy=CLOSED)
    assert canary.connections == 0


def test_a_redirect_to_an_internal_address_is_not_followed(canary):
    policy = ssrf.Policy(allow_loopback=True, https_only=False)
    answer = ssrf.post(f"http://127.0.0.1:{canary.port}/", b"{}", {}, policy=policy)
    assert answer.status == 302  # an answer, recorded as a failure; never followed
    assert canary.connections == 1


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.20.0.1",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.5",
        "::1",
        "::ffff:127.0.0.1",
        "fe80::1",
        "fc00::1",
        "::",
        "2001:db8::1",
        "192.0.2.1",
    ],
)
def test_address_refusal(address):
    assert ssrf.address_refusal(ipaddress.ip_address(address), allow_loopback=False)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert ssrf.address_refusal(ipaddress.ip_address(address), allow_loopback=False) is None


def test_loopback_opens_only_with_the_setting():
    assert ssrf.address_refusal(ipaddress.ip_address("127.0.0.1"), allow_loopback=True) is None
    assert ssrf.address_refusal(ipaddress.ip_address("10.0.0.1"), allow_loopback=True)


def test_https_only():
    with pytest.raises(ssrf.Refused, match="https"):
        ssrf.target_check("http://example.com/", policy=ssrf.Policy(https_only=True))


def test_dns_rebinding_fails_the_checked_address_is_the_one_connected(monkeypatch, canary):
    """The first DNS answer is public, every later one loopback (a rebinding attack): the name
    is resolved once, and the socket connects to the address that was checked."""
    public = ("93.184.215.14", canary.port)
    answers = [[(socket.AF_INET, socket.SOCK_STREAM, 6, "", public)]]
    resolved, connected = [], []

    def rebinding(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        resolved.append(host)
        if answers:
            return answers.pop()
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", canary.port))]

    def fake_connect(self, address):  # type: ignore[no-untyped-def]
        connected.append(address)
        raise ConnectionRefusedError("no route in the test")

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    monkeypatch.setattr(socket.socket, "connect", fake_connect)
    with pytest.raises(ConnectionRefusedError):
        ssrf.post(f"http://rebind.example:{canary.port}/", b"{}", {}, policy=CLOSED)
    assert resolved == ["rebind.example"] and connected == [public]
    # The next delivery resolves afresh, now to loopback: refused before any connect.
    with pytest.raises(ssrf.Refused, match="loopback"):
        ssrf.post(f"http://rebind.example:{canary.port}/", b"{}", {}, policy=CLOSED)
    assert connected == [public]
    assert canary.connections == 0


@pytest.mark.django_db
def test_subscriptions_to_internal_targets_are_refused_at_creation(settings, canary):
    settings.ALERTS_HTTPS_ONLY = False
    service = ServiceFactory()
    for url in forbidden_urls(canary.port)[:20]:
        with pytest.raises(SubscriptionInvalid) as refused:
            subscription_create(
                service=service,
                channel="webhook",
                url=url,
                confirmation_enqueue=confirmation_enqueue,
            )
        assert refused.value.errors[0][0] == "url"
    assert canary.connections == 0


@pytest.mark.django_db
def test_a_delivery_whose_target_turned_internal_fails_without_connecting(settings, canary):
    """Created while loopback was open (development), delivered with the guard closed."""
    settings.ALERTS_HTTPS_ONLY = False
    settings.ALERTS_ALLOW_LOOPBACK = True
    service = ServiceFactory()
    subscription_create(
        service=service,
        channel="webhook",
        url=f"http://localhost:{canary.port}/",
        confirmation_enqueue=confirmation_enqueue,
    )
    incident = IncidentFactory(service=service)
    IncidentEventFactory(key="k", incident=incident)
    settings.ALERTS_ALLOW_LOOPBACK = False
    now = timezone.now()
    events_fan_out(now=now)
    deliveries_send(now=now)
    delivery = Delivery.objects.get()
    assert delivery.status == "pending" and "loopback" in delivery.note
    assert canary.connections == 0
