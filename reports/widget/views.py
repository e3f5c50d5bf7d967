"""The widget's report door: its single-use report token and its report POST, an intake door
like the API's (reports.apis), answered as problem details.

Neither reads or writes the session or the CSRF cookie, so no response sets a cookie: the
report is protected by a signed single-use token (tokens.py) instead, which the widget's page
(outages/embed/views.py) asks for when the button is clicked.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt

from common.api_errors import problem_response
from outages.status_cache import status_summary
from outages.vocabulary import Source
from reports.intake.body import json_body
from reports.intake.client import report_intake_from
from reports.intake.errors import Rejected
from reports.widget.tokens import TokenRejected, embed_token_issue, embed_token_redeem


@csrf_exempt  # nothing to protect: a token only allows one report, sent with it
def embed_token(request: HttpRequest, slug: str) -> HttpResponse:
    """A fresh single-use report token for the widget's button (POST, never cached). The
    page passes the embedding site's origin it was given (see embedding_origin)."""
    try:
        data = json_body(request)
    except Rejected as rejection:
        return problem_response(
            status=rejection.status, reason=rejection.reason, detail=rejection.detail
        )
    if status_summary(slug=slug) is None:
        return problem_response(status=404, reason="not_found", detail="No such service.")
    given = data.get("origin", "") if isinstance(data, dict) else ""
    origin = embedding_origin(request, given=given if isinstance(given, str) else "")
    response = JsonResponse({"token": embed_token_issue(slug=slug, origin=origin)})
    response["Cache-Control"] = "no-store"
    return response


@xframe_options_exempt
@csrf_exempt  # the signed single-use token in the body replaces the CSRF cookie
def embed_report(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        data = json_body(request)
        token = data.pop("token", None) if isinstance(data, dict) else None
        grant = embed_token_redeem(token, slug=slug)
        accepted = report_intake_from(
            request, data=data, service_slug=slug, source=Source.WIDGET, origin=grant.origin
        )
    except Rejected as rejection:
        return problem_response(
            status=rejection.status,
            reason=rejection.reason,
            detail=rejection.detail,
            errors=[(e.field, e.reason) for e in rejection.errors],
            retry_after=rejection.retry_after,
        )
    except TokenRejected as rejection:
        return problem_response(
            status=403,
            reason="invalid_token",
            detail="The widget's report token is not valid: reload the widget and try again.",
            errors=[("token", rejection.reason)],
        )
    except redis.RedisError:
        return problem_response(
            status=503,
            reason="unavailable",
            detail="Try again in a moment.",
            retry_after=settings.INTAKE_RETRY_AFTER_SECONDS,
        )
    return JsonResponse({"counted": accepted.counted}, status=202)


def embedding_origin(request: HttpRequest, *, given: str = "") -> str:
    """The site framing the embed page, as the page says it (the `?origin=` widget.js set from
    location.origin, else its document.referrer), else the Referer's origin; never our own,
    and "" when none is a valid http(s) origin."""
    own = f"{request.scheme}://{request.get_host()}"
    origin = http_origin(given, path_allowed=True)
    if origin and origin != own:
        return origin
    referer = http_origin(request.headers.get("Referer", ""), path_allowed=True)
    return referer if referer != own else ""


def http_origin(value: str, *, path_allowed: bool = False) -> str:
    """`scheme://host[:port]` of an http(s) URL (lower-cased), or "" if it is not one."""
    if not value or len(value) > 200 or not value.isascii() or not value.isprintable():
        return ""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username:
        return ""
    if not path_allowed and (parts.path not in {"", "/"} or parts.query or parts.fragment):
        return ""
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")
