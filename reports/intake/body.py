"""The JSON body of an intake door (the API's and the widget's report POST): POST only,
application/json only, at most INTAKE_MAX_BODY_BYTES, chunked bodies included; anything else is
Rejected with the reason the problem details name."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest

from reports.intake.errors import Rejected, RejectReason


def json_body(request: HttpRequest) -> object:
    if request.method != "POST":
        raise Rejected(RejectReason.METHOD_NOT_ALLOWED, "Use POST with a JSON body.")
    if request.content_type != "application/json":
        raise Rejected(RejectReason.UNSUPPORTED_MEDIA_TYPE, "Send Content-Type: application/json.")
    limit = settings.INTAKE_MAX_BODY_BYTES
    length = request.META.get("CONTENT_LENGTH")
    if length:
        body = request.read(limit + 1) if length.isdigit() and int(length) <= limit else None
    else:
        body = _unsized_body(request, limit + 1)
    if body is None or len(body) > limit:
        raise Rejected(RejectReason.BODY_TOO_LARGE, f"The body must be at most {limit} bytes.")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(RejectReason.MALFORMED_BODY, "The body is not valid JSON.") from None


def _unsized_body(request: HttpRequest, size: int) -> bytes:
    """At most `size` bytes of a body sent without Content-Length (Transfer-Encoding: chunked).
    Django reads such a body as empty; the server (gunicorn says so with wsgi.input_terminated)
    has decoded the chunks and ends the stream where the body ends, so it is read from there."""
    if not request.META.get("wsgi.input_terminated"):
        return b""
    body: bytes = request.META["wsgi.input"].read(size)
    return body
