"""An HTTP request that never reaches an internal address (no Django imports): webhook and
chat POSTs, and the GETs of official status pages.

The host is resolved once; every address it resolves to must be public (or loopback when the
caller opens it); the socket then connects to the checked address itself, so a second DNS
answer (rebinding) is never consulted. Redirects are not followed, time and the response body
are bounded. Odd IPv4 notations (decimal, hex, octal, short forms) are refused outright, and
would fail the address check anyway, since the resolver reads them as the address they mean.
"""

from __future__ import annotations

import http.client
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
# A dotted quad of plain decimals is the only numeric IPv4 spelling accepted.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.I)
_DOTTED_QUAD = re.compile(
    r"^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$"
)


class Refused(Exception):
    """The target is not one we deliver to; the message says why (shown in delivery logs)."""


@dataclass(frozen=True)
class Policy:
    allow_loopback: bool = False
    https_only: bool = True
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    max_response_bytes: int = 64 * 1024


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    address: str
    headers: Mapping[str, str] = field(default_factory=dict)  # lower-case names
    # The body went past max_response_bytes (or the deadline): what is here is cut short.
    truncated: bool = False


def address_refusal(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool
) -> str | None:
    """Why an address is forbidden, or None if it is a public unicast one."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return address_refusal(mapped, allow_loopback=allow_loopback)
        if address.teredo is not None:
            return "a Teredo address"
    if address in METADATA:
        return "a cloud metadata address"
    if address.is_loopback:
        return None if allow_loopback else "a loopback address"
    if address.is_unspecified:
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_private:
        return "a private address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:  # CGNAT 100.64/10, documentation ranges, and the like
        return "a non-public address"
    return None


def target_check(url: str, *, policy: Policy) -> tuple[str, int, str]:
    """Validate a URL's form (not its addresses): returns (scheme, port, host)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or (policy.https_only and scheme != "https"):
        raise Refused("only https:// URLs are accepted" if policy.https_only else "not http(s)")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("the URL has no host")
    if parts.username or parts.password:
        raise Refused("credentials in the URL are not accepted")
    if _NUMERIC_HOST.match(host) and not _DOTTED_QUAD.match(host):
        raise Refused("an IPv4 address must be written as four decimal numbers")
    return scheme, port or (443 if scheme == "https" else 80), host


def resolve(host: str, port: int, *, policy: Policy) -> str:
    """The address to connect to: every address the host resolves to must be allowed."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
        addresses = [literal]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise Refused(f"the host does not resolve ({exc})") from None
        # (an IPv4 or IPv6 sockaddr: its host is a str)
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise Refused("the host does not resolve")
    for address in addresses:
        why = address_refusal(address, allow_loopback=policy.allow_loopback)
        if why:
            raise Refused(f"{host} resolves to {why}")
    return str(addresses[0])


class _PinnedConnection(http.client.HTTPConnection):
    """Connects to an address already checked, whatever the host name now resolves to."""

    def __init__(self, host: str, port: int, *, address: str, tls: bool, policy: Policy):
        super().__init__(host, port, timeout=policy.connect_timeout)
        self._address, self._tls, self._policy = address, tls, policy

    def connect(self) -> None:
        family = socket.AF_INET6 if ":" in self._address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self._policy.connect_timeout)
            sock.connect((self._address, self.port))
            sock.settimeout(self._policy.read_timeout)
            if self._tls:
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def post(url: str, body: bytes, headers: dict[str, str], *, policy: Policy) -> Answer:
    """POST once; a 3xx is an answer like any other (never followed). Raises Refused for a
    forbidden target, OSError / http.client errors for transport failures."""
    return request("POST", url, body=body, headers=headers, policy=policy)


def request(
    method: str, url: str, *, body: bytes | None, headers: dict[str, str], policy: Policy
) -> Answer:
    """One request to a checked address; redirects are answers, not followed."""
    scheme, port, host = target_check(url, policy=policy)
    address = resolve(host, port, policy=policy)
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedConnection(
        host, port, address=address, tls=scheme == "https", policy=policy
    )
    deadline = time.monotonic() + policy.connect_timeout + policy.read_timeout
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        chunks, size, complete = [], 0, False
        while size <= policy.max_response_bytes and time.monotonic() < deadline:
            chunk = response.read1(8192) if hasattr(response, "read1") else response.read(8192)
            if not chunk:
                complete = True
                break
            chunks.append(chunk)
            size += len(chunk)
        return Answer(
            response.status,
            b"".join(chunks)[: policy.max_response_bytes],
            address,
            headers={name.lower(): value for name, value in response.getheaders()},
            truncated=not complete,
        )
    finally:
        connection.close()
