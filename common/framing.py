"""The Content-Security-Policy of every response (django-csp, configured in settings), and who
may frame our pages: nobody, except views marked @xframe_options_exempt (the embed widget),
which any site may frame. One flag drives both headers: Django's XFrameOptionsMiddleware writes
`X-Frame-Options: DENY` unless the view is exempt, and this middleware turns the policy's
`frame-ancestors 'none'` into `frame-ancestors *` for the exempt ones."""

from __future__ import annotations

from csp.constants import HEADER
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponseBase


def frame_ancestors(response: HttpResponseBase) -> str:
    return "*" if getattr(response, "xframe_options_exempt", False) else "'none'"


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if frame_ancestors(response) == "*":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["*"]}
        return parts

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        response = super().process_response(request, response)
        # A view's own policy (the badge SVG's) and django-csp's DEBUG error pages still get
        # the framing rule.
        policy = response.get(HEADER, "")
        if "frame-ancestors" not in policy:
            directive = f"frame-ancestors {frame_ancestors(response)}"
            response[HEADER] = f"{policy}; {directive}" if policy else directive
        return response
