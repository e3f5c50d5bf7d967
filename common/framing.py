"""The Content-Security-Policy of every response (django-csp, configured in settings), and who
may frame our pages: nobody, except views marked @xframe_options_exempt (the embed widget),
which any site may frame. One flag drives both headers: Django's XFrameOptionsMiddleware writes
`X-Frame-Options: DENY` unless the view is exempt, and this middleware turns the policy's
`frame-ancestors 'none'` into `frame-ancestors *` for the exempt ones."""

from __future__ import annotations

from functools import cache

from csp.constants import HEADER
from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponseBase

# Per-view policy attributes of django-csp's decorators: a response with none of them (and no
# nonce asked for) gets the site's policy as is, built once per framing rule.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


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
        if HEADER not in response and not _needs_own_policy(request, response):
            response[HEADER] = _site_policy(frame_ancestors(response))
            return response
        response = super().process_response(request, response)
        # A view's own policy (the badge SVG's) and django-csp's DEBUG error pages still get
        # the framing rule.
        policy = response.get(HEADER, "")
        if "frame-ancestors" not in policy:
            directive = f"frame-ancestors {frame_ancestors(response)}"
            response[HEADER] = f"{policy}; {directive}" if policy else directive
        return response


def _needs_own_policy(request: HttpRequest, response: HttpResponseBase) -> bool:
    return (
        getattr(request, "_csp_nonce", None) is not None
        or any(hasattr(response, name) for name in _OWN_POLICY)
        or bool(getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None))
        or bool((settings.CONTENT_SECURITY_POLICY or {}).get("EXCLUDE_URL_PREFIXES"))
    )


@cache
def _site_policy(ancestors: str) -> str:
    """The site's policy with its framing rule: what django-csp would build for a response with
    no policy of its own (building it costs ~100 us, on every answer of the hottest paths)."""
    replace = {"frame-ancestors": ["*"]} if ancestors == "*" else None
    return build_policy(config=None, update=None, replace=replace, nonce=None)


setting_changed.connect(lambda **kwargs: _site_policy.cache_clear())
