"""The page cache: the public pages (home, service, incident, incidents, region, search, about)
rendered once and served to every anonymous visitor from the shared cache (Redis in
production), as outages/edge.py does for the embed's reads.

- **Same bytes for everyone.** A page marked @shared_page holds nothing of its visitor (no
  CSRF token, no report id: common/cross_origin.py, reports/forms.py), so one rendering per
  path and language serves all. Requests with a session or a pending flash message (a signed-in
  moderator, a reader just thanked for a report) are never served from it, and get
  `Cache-Control: private`; a stored page never sets a cookie.
- **Versioned by what changes it.** An entry is current while the versions it was rendered
  under are: the site's generation (bumped when the detection pass changes a status summary,
  and when a service, incident or moderator's note changes) and, for a service page, the
  service's own (bumped by an approved comment). It is fresh for FRESH_SECONDS (its chart
  ends at the current minute); live.json keeps the figures current in between.
- **Single flight.** Of the requests that find an entry stale or missing, the one that takes
  the lock renders; the others serve the stale entry meanwhile, or, with none, wait for the
  renderer's entry (at most WAIT_SECONDS, then render themselves).
- **For a CDN.** `Cache-Control: public, max-age=0, s-maxage, stale-while-revalidate`, `Vary:
  Accept-Language, Cookie` and an ETag; a matching If-None-Match is a 304 from the entry.
"""

from __future__ import annotations

import gzip
import hashlib
import time
import uuid
from collections.abc import Callable, Mapping
from functools import lru_cache, wraps
from typing import Any, NamedTuple, TypeVar, cast, overload

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.translation import get_language

from common import metrics
from outages.models import Incident
from outages.page_query import Canonical, query_key

ENTRY = "page:"
LOCK = "page-lock:"
GENERATION = "page-generation"
SERVICE_GENERATION = "page-generation:"
FRESH_SECONDS = 30  # s-maxage too: the chart ends at the current minute
STALE_SECONDS = 60  # stale-while-revalidate, for a CDN
KEEP_SECONDS = 600  # how long a stale entry is kept to answer while another renders
LOCK_SECONDS = 10
WAIT_SECONDS = 5.0
WAIT_STEP = 0.02
# A 404 is not stored: it is cheap to render, and storing it would let requests for random
# slugs fill the cache.
STORED_STATUSES = (200, 301, 302)
NOT_STORED_HEADERS = {"content-length", "content-encoding", "etag", "x-page-cache"}
NOT_MODIFIED_DROPS = {"content-type"}


class PageEntry(NamedTuple):
    """A stored page. Kept in the cache as a plain tuple: the cheapest to unpickle. The body is
    kept gzipped: a busy service's page is ~160 KB of HTML and ~25 KB gzipped, and reading it
    from Redis costs by the byte. Browsers and CDNs take it as it is; another client gets it
    inflated. (Compressing is safe here because the page holds no secret: no CSRF token.)"""

    version: str
    fresh_until: float
    status: int
    headers: tuple[tuple[str, str], ...]
    gzipped: bytes
    etag: str


View = TypeVar("View", bound=Callable[..., Any])


@overload
def shared_page(view: View, *, query: None = None) -> View: ...
@overload
def shared_page(view: None = None, *, query: Mapping[str, Canonical]) -> Callable[[View], View]: ...
def shared_page(
    view: View | None = None, *, query: Mapping[str, Canonical] | None = None
) -> View | Callable[[View], View]:
    """Mark a public page as the same for every anonymous visitor (per language and URL).
    `query` names the query parameters that change the page, each with the values it reads:
    the cache key holds only those, so that other or unreadable parameters (a tracking tag, a
    random cache-buster) are served the page they show instead of a rendering of their own."""

    def mark(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            metrics.page_renders.inc()
            return view(request, *args, **kwargs)

        wrapped.shared_page = dict(query or {})  # type: ignore[attr-defined]
        return cast(View, wrapped)

    return mark(view) if view is not None else mark


def pages_changed(*, slug: str | None = None) -> None:
    """Every stored page is out of date (slug None), or only this service's page."""
    cache.set(SERVICE_GENERATION + slug if slug else GENERATION, uuid.uuid4().hex[:12], None)


@receiver([post_save, post_delete], sender=Incident)
def _incident_changed(sender: type, instance: Incident, **kwargs: object) -> None:
    """An incident opened, closed, confirmed, dismissed or given a moderator's note: it shows on
    the home, incident, incidents and region pages. After the commit, so that no page rendered
    before it is tagged with the new version."""
    transaction.on_commit(pages_changed)


def bypasses(request: HttpRequest) -> bool:
    """Requests that must render for themselves: a session (a moderator), a flash message to
    show, credentials."""
    cookies = request.COOKIES
    return (
        settings.SESSION_COOKIE_NAME in cookies
        or CookieStorage.cookie_name in cookies
        or "HTTP_AUTHORIZATION" in request.META
    )


class PageCacheMiddleware:
    """Sits right after the locale middleware (the language is part of the key); a hit skips
    the rest of the stack, whose headers (CSP, framing) the entry carries."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        page = _page_of(request.path_info)
        if page is None:
            return self.get_response(request)
        route, query = page
        if bypasses(request):
            response = self.get_response(request)
            patch_cache_control(response, private=True, no_cache=True)
            return response
        key = (
            ENTRY
            + hashlib.blake2b(
                f"{get_language()}\n{request.path}?{query_key(request, query)}".encode(),
                digest_size=16,
            ).hexdigest()
        )
        version_keys = [GENERATION, *([SERVICE_GENERATION + route] if route else [])]
        found = cache.get_many([*version_keys, key])
        # Read before rendering: an entry is never tagged newer than what it shows.
        version = ":".join(str(found.get(k, "0")) for k in version_keys)
        stored = found.get(key)
        entry = PageEntry(*stored) if isinstance(stored, tuple) else None
        if entry is not None and entry.version == version and time.time() < entry.fresh_until:
            return _answer(request, entry, "hit")
        if cache.add(LOCK + key, 1, LOCK_SECONDS):
            try:
                # Read again under the lock: another request may have stored it since.
                again = cache.get(key)
                if isinstance(again, tuple):
                    latest = PageEntry(*again)
                    if latest.version == version and time.time() < latest.fresh_until:
                        return _answer(request, latest, "hit")
                return self._render(request, key, version)
            finally:
                cache.delete(LOCK + key)
        if entry is not None:
            return _answer(request, entry, "stale")
        return self._wait(request, key, version)

    def _wait(self, request: HttpRequest, key: str, version: str) -> HttpResponseBase:
        """No entry yet and another request is rendering it: take its entry when stored."""
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(WAIT_STEP)  # (a greenlet switch under gevent)
            found = cache.get_many([key, LOCK + key])
            stored = found.get(key)
            if isinstance(stored, tuple) and stored[0] == version:
                return _answer(request, PageEntry(*stored), "hit")
            if LOCK + key not in found:  # the renderer stored nothing, or no shared cache
                break
        return self._render(request, key, version)

    def _render(self, request: HttpRequest, key: str, version: str) -> HttpResponseBase:
        # Rendered in full even for a conditional request, so that it can be stored.
        conditional = request.META.pop("HTTP_IF_NONE_MATCH", None)
        request.META.pop("HTTP_IF_MODIFIED_SINCE", None)
        response = self.get_response(request)
        entry = _storable(request, response, version)
        if entry is None:
            return response
        cache.set(key, tuple(entry), KEEP_SECONDS)
        if conditional is not None:
            request.META["HTTP_IF_NONE_MATCH"] = conditional
        return _answer(request, entry, "miss")


@lru_cache(maxsize=4096)
def _page_of(path: str) -> tuple[str, Mapping[str, Canonical]] | None:
    """For a shared page: the slug of a service page ("" for another page) and the query
    parameters that change it. None for any other path."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    query = getattr(match.func, "shared_page", None)
    if query is None:
        return None
    return str(match.kwargs.get("slug", "")), query


def _storable(request: HttpRequest, response: HttpResponseBase, version: str) -> PageEntry | None:
    if (
        request.method != "GET"
        or response.status_code not in STORED_STATUSES
        or response.streaming
        or response.cookies
        or not isinstance(response, HttpResponse)
        or "private" in response.get("Cache-Control", "")
        or "no-store" in response.get("Cache-Control", "")
    ):
        return None
    body = response.content
    # Weak: the gzipped and the plain body are the same page.
    etag = f'W/"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    response["Cache-Control"] = (
        f"public, max-age=0, s-maxage={FRESH_SECONDS}, stale-while-revalidate={STALE_SECONDS}"
    )
    patch_vary_headers(response, ("Accept-Encoding", "Accept-Language", "Cookie"))
    headers = tuple(
        (name, value)
        for name, value in response.headers.items()
        if name.lower() not in NOT_STORED_HEADERS
    )
    return PageEntry(
        version=version,
        fresh_until=time.time() + FRESH_SECONDS,
        status=response.status_code,
        headers=headers,
        gzipped=gzip.compress(body, 6, mtime=0),
        etag=etag,
    )


def _answer(request: HttpRequest, entry: PageEntry, outcome: str) -> HttpResponseBase:
    answer: HttpResponseBase
    meta = request.META
    if entry.status == 200 and _matches(meta.get("HTTP_IF_NONE_MATCH"), entry.etag):
        answer = HttpResponseNotModified()
        for name, value in entry.headers:
            if name.lower() not in NOT_MODIFIED_DROPS:
                answer[name] = value
    else:
        if _accepts_gzip(meta.get("HTTP_ACCEPT_ENCODING", "")):
            answer = HttpResponse(entry.gzipped, status=entry.status)
            answer["Content-Encoding"] = "gzip"
        else:
            answer = HttpResponse(gzip.decompress(entry.gzipped), status=entry.status)
        for name, value in entry.headers:
            answer[name] = value
        answer["Content-Length"] = str(len(answer.content))
    answer["ETag"] = entry.etag
    answer["X-Page-Cache"] = outcome
    return answer


def _accepts_gzip(accept_encoding: str) -> bool:
    for coding in accept_encoding.lower().split(","):
        name, _, params = coding.partition(";")
        if name.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    etags = parse_etags(if_none_match)
    return "*" in etags or etag.removeprefix("W/") in {e.removeprefix("W/") for e in etags}
