"""What intake learns of the sender from an HTTP request: address (to hash), user agent and a
default country from an edge header or Accept-Language."""

from __future__ import annotations

import functools
from dataclasses import replace

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from outages.vocabulary import Source
from reports.intake.pipeline import Accepted, Client, report_intake


def report_intake_from(
    request: HttpRequest,
    *,
    data: object,
    service_slug: str,
    source: Source,
    origin: str | None = None,
) -> Accepted:
    """Run intake for a report arriving by HTTP, at the current time (either door). `origin`,
    when given, replaces the request's Origin header: the widget's report comes from our own
    embed page, on behalf of the site that framed it."""
    client = client_of(request)
    if origin is not None:
        client = replace(client, origin=_clean_origin(origin))
    return report_intake(
        data=data,
        service_slug=service_slug,
        source=source,
        client=client,
        now=timezone.now(),
        retry_after=settings.INTAKE_RETRY_AFTER_SECONDS,
    )


# Headers are read from request.META by their CGI names: the first use of request.headers
# builds a parsed copy of every header, a cost the intake (the hottest path) does not need.


def client_of(request: HttpRequest) -> Client:
    meta = request.META
    return Client(
        address=_address(request),
        user_agent=meta.get("HTTP_USER_AGENT", "")[:400],
        default_country=default_country(request),
        origin=_clean_origin(meta.get("HTTP_ORIGIN", "")),
    )


def default_country(request: HttpRequest) -> str:
    """The edge's country header if set, else the region of the first Accept-Language tag."""
    meta = request.META
    edge: str = meta.get(_meta_key(settings.COUNTRY_HEADER), "").strip().upper()
    if len(edge) == 2 and edge.isalpha():
        return edge
    accept_language: str = meta.get("HTTP_ACCEPT_LANGUAGE", "")
    for tag in accept_language.split(","):
        parts = tag.split(";")[0].strip().replace("_", "-").split("-")
        if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].isalpha():
            return parts[-1].upper()
    return ""


def _address(request: HttpRequest) -> str:
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded_for: str = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [h.strip() for h in forwarded_for.split(",") if h]
        if len(hops) >= proxies:
            return hops[-proxies]
    remote: str = request.META.get("REMOTE_ADDR", "")
    return remote


@functools.cache
def _meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


def _clean_origin(origin: str) -> str:
    """Printable ASCII only: the stream encoding (reports/rows.py) relies on it."""
    return "".join(c for c in origin[:200] if " " < c < "\x7f" and c != "\\")
