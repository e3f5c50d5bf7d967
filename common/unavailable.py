"""The 500 handler that tells an outage of ours from a bug: when the request failed because the
database or Redis cannot be reached, the answer is 503 with Retry-After (problem details for
the API and other JSON routes, a short page for people), never a 500 (invariant 9).

Django converts an exception raised anywhere in the middleware or view chain into a response
by calling this handler inside its `except` block, so the exception is still in sys.exc_info().
"""

from __future__ import annotations

import sys

import redis
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.views.defaults import server_error
from kombu.exceptions import OperationalError as BrokerUnavailable

from common.api_errors import problem_response

RETRY_AFTER = 30  # seconds: a restart of the database or Redis, or a failover
# What "a dependency is down" looks like from inside a request: the database (connect, pool
# timeout, lost connection), Redis used directly or as the cache, and the Celery broker.
UNAVAILABLE = (
    OperationalError,
    InterfaceError,
    redis.ConnectionError,
    redis.TimeoutError,
    BrokerUnavailable,
)
_JSON_PATHS = ("/api/", "/embed/", "/badge/")


def server_error_or_unavailable(request: HttpRequest) -> HttpResponse:
    """503 + Retry-After when a dependency is unreachable, else Django's own 500."""
    if not isinstance(sys.exc_info()[1], UNAVAILABLE):
        return server_error(request)
    if request.path.startswith(_JSON_PATHS) or "json" in request.headers.get("Accept", ""):
        return problem_response(
            status=503,
            reason="unavailable",
            retry_after=RETRY_AFTER,
            detail="The service cannot answer right now; retry later.",
        )
    # Rendered without the request: its context processors would read the session (database).
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
