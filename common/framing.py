"""Who may frame our pages: nobody, except views marked @xframe_options_exempt (the embed
widget), which any site may frame. One flag drives both headers: Django's XFrameOptionsMiddleware
writes `X-Frame-Options: DENY` unless the view is exempt, and this middleware writes the CSP
`frame-ancestors` directive that modern browsers obey instead."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"


class FrameAncestorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        ancestors = "*" if getattr(response, "xframe_options_exempt", False) else "'none'"
        policy = response.get(HEADER, "")
        if "frame-ancestors" not in policy:
            directive = f"frame-ancestors {ancestors}"
            response[HEADER] = f"{policy}; {directive}" if policy else directive
        return response
