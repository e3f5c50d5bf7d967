"""POST /api/v1/services/<slug>/reports: the JSON door of intake.

A lean function view (no DRF request machinery, no ORM write when Redis buffers): this is the
hottest write path, measured in bench/intake.py. ReportCreateDoc documents it in the OpenAPI
schema and is never dispatched.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django_countries import countries
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from common.api_errors import CONTENT_TYPE, problem_response
from common.api_schema import PROBLEM
from outages.vocabulary import PROBLEMS_BY_CATEGORY, Kind, Platform, Problem, Source
from reports.intake.client import report_intake_from
from reports.intake.errors import Rejected, RejectReason


@csrf_exempt
def report_create(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        data = _json_body(request)
        accepted = report_intake_from(request, data=data, service_slug=slug, source=Source.API)
    except Rejected as rejection:
        response = problem_response(
            status=rejection.status,
            reason=rejection.reason,
            detail=rejection.detail,
            errors=[(e.field, e.reason) for e in rejection.errors],
            retry_after=rejection.retry_after,
        )
        if rejection.status == 405:
            response["Allow"] = "POST"
        return response
    status = "counted" if accepted.counted else "already_counted"
    # The body JsonResponse would write, without its encoder: a UUID and a fixed word.
    body = f'{{"id": "{accepted.request.id}", "status": "{status}"}}'
    return HttpResponse(body, content_type="application/json", status=202)


def _json_body(request: HttpRequest) -> object:
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


_problem = PROBLEM
# The schema's word on which problem types each category's services take (intake refuses
# the others, naming the service's own).
_PROBLEM_TYPES = "; ".join(
    f"{category}: {', '.join(problems)}" for category, problems in PROBLEMS_BY_CATEGORY.items()
)


class ReportCreateDoc(APIView):
    """Documents report_create for the OpenAPI schema; the URL is served by report_create,
    which takes no API key and has its own rate limits (the 429 below)."""

    authentication_classes: list[type] = []
    throttle_classes: list[type] = []
    parser_classes = [JSONParser]  # the only body report_create reads

    class InputSerializer(serializers.Serializer[object]):
        id = serializers.UUIDField(
            required=False,
            help_text="Client-chosen id: retrying with the same id counts the report once.",
        )
        kind = serializers.ChoiceField(Kind.choices, default=Kind.PROBLEM)
        platform = serializers.ChoiceField(Platform.choices)
        problem = serializers.ChoiceField(
            Problem.choices,
            required=False,
            help_text="Required when kind is 'problem'. One of the problem types of the "
            f"service's category (GET /api/v1/categories): {_PROBLEM_TYPES}.",
        )
        country = serializers.ChoiceField(
            [code for code, _ in countries], required=False, allow_blank=True,
            help_text="ISO 3166-1 alpha-2; absent or empty: the request's own, if it says one.",
        )  # fmt: skip
        subdivision = serializers.CharField(
            required=False, allow_blank=True, help_text="ISO 3166-2 of the country, e.g. FR-IDF."
        )

    class OutputSerializer(serializers.Serializer[object]):
        id = serializers.UUIDField()
        status = serializers.ChoiceField(["counted", "already_counted"])

    @extend_schema(
        operation_id="reports_create",
        summary="Report a problem (or that it works) for a service",
        request=InputSerializer,
        responses={
            202: OutputSerializer,
            **{
                (code, CONTENT_TYPE): OpenApiResponse(_problem, description=why)
                for code, why in [
                    (400, "Malformed body or invalid field"),
                    (404, "Unknown service"),
                    (409, "Same id, different content"),
                    (413, "Body too large"),
                    (415, "Not JSON"),
                    (429, "Rate limited (see Retry-After)"),
                    (503, "Cannot store now; retry with the same id (see Retry-After)"),
                ]
            },
        },
    )
    def post(self, request: HttpRequest, slug: str) -> HttpResponse:
        raise NotImplementedError("served by report_create")


report_create.cls = ReportCreateDoc  # type: ignore[attr-defined]
report_create.initkwargs = {}  # type: ignore[attr-defined]
