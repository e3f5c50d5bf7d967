"""POST /api/v1/services/<slug>/reports: the JSON door of intake.

A lean function view (no DRF request machinery, no ORM write when Redis buffers): this is the
hottest write path, measured in bench/intake.py. ReportCreateDoc documents it in the OpenAPI
schema and is never dispatched.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django_countries import countries
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.views import APIView

from common.api_errors import CONTENT_TYPE, problem_response
from common.api_schema import PROBLEM, ClosedSerializer
from outages.vocabulary import PROBLEMS_BY_CATEGORY, Kind, Platform, Problem, Source
from reports.intake.body import json_body
from reports.intake.client import report_intake_from
from reports.intake.errors import Rejected
from reports.intake.request import SUBDIVISION_PATTERN


@csrf_exempt
def report_create(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        data = json_body(request)
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


_problem = PROBLEM
# The schema's word on which problem types each category's services take (intake refuses
# the others, naming the service's own).
_PROBLEM_TYPES = "; ".join(
    f"{category}: {', '.join(problems)}" for category, problems in PROBLEMS_BY_CATEGORY.items()
)


class _Report(ClosedSerializer):
    """What every report carries (for the request's schema; report_create validates, and
    refuses any other field). An optional field sent as null is read as absent."""

    id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Client-chosen id: retrying with the same id counts the report once.",
    )
    platform = serializers.ChoiceField(Platform.choices)
    country = serializers.ChoiceField(
        [code for code, _ in countries],
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="ISO 3166-1 alpha-2; absent or empty: the request's own, if it says one.",
    )
    subdivision = serializers.RegexField(
        SUBDIVISION_PATTERN,
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=6,
        help_text="ISO 3166-2, e.g. FR-IDF. It must be a subdivision of the report's country "
        "(given, or the request's own): any other is refused with a 400 naming `subdivision`.",
    )


class _ProblemReport(_Report):
    """Something is broken: which problem is required."""

    kind = serializers.ChoiceField([Kind.PROBLEM], default=Kind.PROBLEM, allow_null=True)
    problem = serializers.ChoiceField(
        Problem.choices,
        help_text="One of the problem types of the service's category (GET "
        f"/api/v1/categories): {_PROBLEM_TYPES}.",
    )


class _WorksReport(_Report):
    """It works for me: no problem type (absent or empty)."""

    kind = serializers.ChoiceField([Kind.WORKS])
    problem = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=0)


# One body per kind (no discriminator: `kind` may be left out, meaning "problem").
REPORT_REQUEST = PolymorphicProxySerializer(
    component_name="ReportCreateRequest",
    serializers=[_ProblemReport, _WorksReport],
    resource_type_field_name=None,
)


class ReportCreateDoc(APIView):
    """Documents report_create for the OpenAPI schema; the URL is served by report_create,
    which takes no API key and has its own rate limits (the 429 below)."""

    authentication_classes: list[type] = []
    throttle_classes: list[type] = []
    parser_classes = [JSONParser]  # the only body report_create reads

    class OutputSerializer(serializers.Serializer[object]):
        id = serializers.UUIDField()
        status = serializers.ChoiceField(["counted", "already_counted"])

    @extend_schema(
        operation_id="reports_create",
        summary="Report a problem (or that it works) for a service",
        description="One person's report: a problem of a given type, or that the service "
        "works for them, from a platform and optionally a country. An optional client-made `id` "
        "(UUID) makes a retry count once. Anonymous (no key); rate-limited per "
        "reporter and network.",
        auth=[],
        request=REPORT_REQUEST,
        responses={
            202: OutputSerializer,
            **{
                (code, CONTENT_TYPE): OpenApiResponse(_problem, description=why)
                for code, why in [
                    (
                        400,
                        "Malformed body or invalid field (`errors` names each, and why), "
                        "including a subdivision outside the report's country",
                    ),
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
