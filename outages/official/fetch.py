"""One conditional GET of a status page through the webhooks' SSRF guard (common.ssrf): the
same connect-time address check, timeouts and size cap. Redirects are followed a few hops,
each hop checked again; every way it can go wrong comes back as a Fetched with a reason."""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from urllib.parse import urljoin

from common import ssrf

MAX_REDIRECTS = 3
REDIRECTS = {301, 302, 303, 307, 308}
USER_AGENT = "outages-official-status/1"


@dataclass(frozen=True)
class Fetched:
    status: int | None  # None: no HTTP answer at all
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    content_type: str = ""
    error: str = ""  # why it failed; "" when it did not

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def fetch(url: str, *, etag: str = "", last_modified: str = "", policy: ssrf.Policy) -> Fetched:
    headers = {
        "user-agent": USER_AGENT,
        "accept": "application/json, application/rss+xml, "
        "application/atom+xml, application/xml;q=0.9, */*;q=0.1",
        "accept-encoding": "identity",
    }
    if etag:
        headers["if-none-match"] = etag
    if last_modified:
        headers["if-modified-since"] = last_modified
    seen = {url}
    for _ in range(MAX_REDIRECTS + 1):
        try:
            answer = ssrf.request("GET", url, body=None, headers=headers, policy=policy)
        except ssrf.Refused as exc:
            return Fetched(None, error=f"refused: {exc}")
        except (OSError, http.client.HTTPException) as exc:
            return Fetched(
                None, error=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            )
        if answer.status in REDIRECTS and answer.headers.get("location"):
            url = urljoin(url, answer.headers["location"])
            if url in seen:
                return Fetched(answer.status, error="a redirect loop")
            seen.add(url)
            continue
        return _fetched(answer, policy)
    return Fetched(None, error=f"more than {MAX_REDIRECTS} redirects")


def _fetched(answer: ssrf.Answer, policy: ssrf.Policy) -> Fetched:
    meta = {
        "etag": answer.headers.get("etag", "")[:200],
        "last_modified": answer.headers.get("last-modified", "")[:64],
        "content_type": answer.headers.get("content-type", ""),
    }
    if answer.status == 304:
        return Fetched(304, etag=meta["etag"], last_modified=meta["last_modified"])
    if answer.truncated:
        return Fetched(
            answer.status,
            error=f"the answer passed {policy.max_response_bytes} bytes (or the time limit)",
        )
    if not 200 <= answer.status < 300:
        return Fetched(answer.status, error=f"HTTP {answer.status}")
    return Fetched(
        answer.status,
        body=answer.body,
        etag=meta["etag"],
        last_modified=meta["last_modified"],
        content_type=meta["content_type"],
    )
