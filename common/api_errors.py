"""One error shape for every API error: RFC 9457 problem details (application/problem+json).

{"type": "urn:problem:invalid_field", "title": "Invalid field", "status": 400,
 "detail": "...", "errors": [{"field": "platform", "reason": "..."}]}
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions
from rest_framework.response import Response

CONTENT_TYPE = "application/problem+json"


def problem_body(
    *, status: int, reason: str, detail: str, errors: Iterable[tuple[str, str]] = ()
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:problem:{reason}",
        "title": reason.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
    }
    error_list = [{"field": field, "reason": why} for field, why in errors]
    if error_list:
        body["errors"] = error_list
    return body


def problem_response(
    *,
    status: int,
    reason: str,
    detail: str,
    errors: Iterable[tuple[str, str]] = (),
    retry_after: int | None = None,
) -> HttpResponse:
    body = problem_body(status=status, reason=reason, detail=detail, errors=errors)
    response = HttpResponse(json.dumps(body), status=status, content_type=CONTENT_TYPE)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, answering problem details for every APIException (and for
    Django's 404 and permission errors, as DRF's own handler does)."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    errors: list[tuple[str, str]] = []
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        for field, messages in exc.detail.items():
            for message in messages if isinstance(messages, list) else [messages]:
                errors.append((str(field), str(message)))
        detail = "Some fields are invalid."
    else:
        detail = str(exc.detail)
    reason = exc.default_code if isinstance(exc.default_code, str) else "error"
    body = problem_body(status=exc.status_code, reason=reason, detail=detail, errors=errors)
    response = Response(body, status=exc.status_code, content_type=CONTENT_TYPE)
    auth_header = getattr(exc, "auth_header", None)  # set by DRF for a 401
    if auth_header:
        response["WWW-Authenticate"] = auth_header
    wait = getattr(exc, "wait", None)
    if wait is not None:
        response["Retry-After"] = str(int(wait) + 1)
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 handler: an /api/ URL that matches no route is a problem too, not an HTML page."""
    if request.path.startswith("/api/"):
        return problem_response(status=404, reason="not_found", detail="No such resource.")
    return page_not_found(request, exception)
