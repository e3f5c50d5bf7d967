"""Lean routes: the report intake served through a short middleware stack of its own.

POST /api/v1/services/<slug>/reports is the hottest path of the product. The site's stack
(static files, the edge cache, sessions, locale, CORS, conditional GET, CSRF, auth, messages,
OTP, axes) does nothing for it: the view is CSRF-exempt, anonymous, answers no preflight and
reads no session. Crossing it cost about a sixth of the intake's CPU (bench/intake.py prints
the intake against the bare view through both stacks).

LeanRouteMiddleware, first in settings.MIDDLEWARE, hands a request whose path matches one of
settings.LEAN_PATHS to settings.LEAN_MIDDLEWARE (the headers every answer carries: security,
framing, CSP) around the URLconf's own view; every other request goes on through the site's
stack untouched. A lean route checks the Host header against ALLOWED_HOSTS as every other
route does (CommonMiddleware checks it there): a foreign host is a 400, whatever LEAN_MIDDLEWARE
holds.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponseBase
from django.urls import resolve
from django.utils.module_loading import import_string

Handler = Callable[[HttpRequest], HttpResponseBase]


class LeanRouteMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        paths = settings.LEAN_PATHS
        self.lean_paths = re.compile("|".join(f"(?:{p})" for p in paths)) if paths else None
        self.lean_stack = lean_stack(settings.LEAN_MIDDLEWARE)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if self.lean_paths and self.lean_paths.fullmatch(request.path_info):
            return self.lean_stack(request)
        return self.get_response(request)


def lean_stack(middleware: list[str]) -> Handler:
    """The listed middleware around the resolved view, wrapped the way Django wraps its own
    stack (an exception becomes the error response at each layer)."""
    handler = _convert(_view)
    for path in reversed(middleware):
        handler = _convert(import_string(path)(handler))
    return handler


def _convert(handler: Handler) -> Handler:
    # A sync handler stays sync; the stubs' signature also allows for async ones.
    return convert_exception_to_response(handler)  # type: ignore[return-value]


def _view(request: HttpRequest) -> HttpResponseBase:
    # DisallowedHost (a 400) for a Host not in ALLOWED_HOSTS: no DNS rebinding onto the intake.
    request.get_host()
    match = resolve(request.path_info)
    request.resolver_match = match
    response: HttpResponseBase = match.func(request, *match.args, **match.kwargs)
    return response
