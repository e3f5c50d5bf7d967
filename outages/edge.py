"""The edge cache: the hot public reads (status JSON, badge, embed page, series downloads)
answered from a cached rendering, before the rest of the middleware and the view run, with no
database query; a matching If-None-Match gets its 304 from the cached ETag.

A view marked @edge_read renders as usual on a miss (going through every middleware, so the
stored answer carries the same headers: CSP, framing, CORS, caching) and the middleware keeps
what it answered, tagged with the version of the service's status summary it was rendered from
(outages/status_cache.py), plus the current minute for series. An entry is served only while
that version is still current, so a changed ServiceStatus or Service is never hidden: the
status summary and the entry come back together in one cache round trip.

Not here: pages (they vary by language and cookie), anything that is not a GET or a HEAD, and
requests with an API key. Anonymous cached reads skip the API's anonymous throttle: answering
one costs less than counting it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from functools import lru_cache, wraps
from typing import Any, NamedTuple

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import cc_delim_re, get_conditional_response
from django.utils.http import parse_etags

from outages import status_cache

PREFIXES = ("/api/v1/services/", "/badge/", "/embed/", "/s/")
ENTRY = "edge:"
TTL = 300
CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"
# Headers a stored answer may vary on: Accept is part of the key (DRF's content negotiation);
# Origin does not change the answer (CORS * is set on every hot read).
STORABLE_VARY = {"accept", "origin"}
NOT_MODIFIED_DROPS = {"content-type", "content-length", "content-disposition"}


class Entry(NamedTuple):
    """A stored answer. Kept in the cache as a plain tuple: the cheapest to unpickle."""

    version: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str


def edge_read(*, per_minute: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view whose URL has a `slug` as a hot public read. `per_minute`: its answer also
    changes with the clock (a series), so an entry lasts at most until the minute turns."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # The version is read before the view reads anything: an entry is never tagged
            # newer than what it shows.
            summary = status_summary_version(kwargs["slug"])
            response: HttpResponseBase = view(request, *args, **kwargs)
            # A tag for the edge cache (EdgeCacheMiddleware), not an attribute Django knows.
            response.edge_version = _version(summary, per_minute)  # type: ignore[attr-defined]
            response["Access-Control-Allow-Origin"] = "*"  # public, without credentials
            return response

        wrapped.edge_per_minute = per_minute  # type: ignore[attr-defined]
        return wrapped

    return decorate


def cacheable_anywhere(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The caching of the badges and series downloads: a minute's max-age, an ETag, 304 on a
    match, and readable from any origin (no credentials: nothing there depends on a cookie)."""
    response["Cache-Control"] = CACHE_CONTROL
    response["ETag"] = f'"{hashlib.blake2b(response.content, digest_size=12).hexdigest()}"'
    response["Access-Control-Allow-Origin"] = "*"
    if response.status_code != 200:
        return response
    answer = get_conditional_response(request, etag=response["ETag"], response=response)
    assert answer is not None  # (None only when given no response)
    answer["Access-Control-Allow-Origin"] = "*"  # a 304 keeps only the caching headers
    return answer


def status_summary_version(slug: str) -> str:
    summary = status_cache.status_summary(slug=slug)
    return summary.version if summary is not None else status_cache.MISSING


def _version(summary_version: str | None, per_minute: bool) -> str | None:
    if summary_version is None:
        return None
    return f"{summary_version}:{int(time.time() // 60)}" if per_minute else summary_version


class EdgeCacheMiddleware:
    """Sits right after WhiteNoise: a hit costs one cache round trip and nothing else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        route = self._route(request)
        if route is None:
            return self.get_response(request)
        slug, per_minute = route
        key = (
            ENTRY
            + hashlib.blake2b(
                f"{request.get_full_path()}\n{request.headers.get('Accept', '')}".encode(),
                digest_size=16,
            ).hexdigest()
        )
        version_key = status_cache.VERSION_KEY + slug
        found = cache.get_many([version_key, key])
        version = _version(found.get(version_key), per_minute)
        stored = found.get(key)
        if version is not None and isinstance(stored, tuple) and stored[0] == version:
            return _answer(request, Entry(*stored))
        return self._miss(request, key)

    def _route(self, request: HttpRequest) -> tuple[str, bool] | None:
        if request.method not in ("GET", "HEAD") or not request.path_info.startswith(PREFIXES):
            return None
        if "HTTP_AUTHORIZATION" in request.META or "HTTP_X_API_KEY" in request.META:
            # A partner's key is checked and counted by the API itself (a revoked key is a
            # 401 at once); only anonymous reads are shared, like a CDN would share them.
            return None
        return _route_of(request.path_info)

    def _miss(self, request: HttpRequest, key: str) -> HttpResponseBase:
        # Render in full even for a conditional request, so that the answer can be stored;
        # the 304 is decided here, from the stored ETag.
        conditional = request.META.pop("HTTP_IF_NONE_MATCH", None)
        request.META.pop("HTTP_IF_MODIFIED_SINCE", None)
        response = self.get_response(request)
        entry = _storable(request, response)
        if entry is None:
            return response
        cache.set(key, tuple(entry), TTL)
        if conditional is not None:
            request.META["HTTP_IF_NONE_MATCH"] = conditional
            return _answer(request, entry)
        return response


@lru_cache(maxsize=4096)
def _route_of(path: str) -> tuple[str, bool] | None:
    """(slug, per_minute) of an edge read's path, None for any other path."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    per_minute = getattr(match.func, "edge_per_minute", None)
    if per_minute is None or "slug" not in match.kwargs:
        return None
    return match.kwargs["slug"], per_minute


def _storable(request: HttpRequest, response: HttpResponseBase) -> Entry | None:
    version = getattr(response, "edge_version", None)
    if (
        version is None
        or request.method != "GET"
        or response.status_code not in (200, 404)
        or response.streaming
        or response.cookies
        or not isinstance(response, HttpResponse)
    ):
        return None
    vary = {v.strip().lower() for v in cc_delim_re.split(response.get("Vary", "")) if v.strip()}
    if not vary <= STORABLE_VARY:
        return None
    body = response.content
    if not response.has_header("ETag"):
        response["ETag"] = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    return Entry(
        version=version,
        status=response.status_code,
        headers=tuple(response.headers.items()),
        body=body,
        etag=response["ETag"],
    )


def _answer(request: HttpRequest, entry: Entry) -> HttpResponseBase:
    if entry.status == 200 and _matches(request.headers.get("If-None-Match"), entry.etag):
        answer: HttpResponseBase = HttpResponseNotModified()
        for name, value in entry.headers:
            if name.lower() not in NOT_MODIFIED_DROPS:
                answer[name] = value
        return answer
    answer = HttpResponse(entry.body, status=entry.status)
    for name, value in entry.headers:
        answer[name] = value
    return answer


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    etags = parse_etags(if_none_match)
    return "*" in etags or etag.removeprefix("W/") in {e.removeprefix("W/") for e in etags}
