"""Public API v1, read side (DRF): services, their status and series, incidents.

One APIView per operation with nested serializers; each parses its query, calls one
selector, serializes. Errors are problem details (common.api_errors). Lists are cursor-paginated.

Over 300 lines: one APIView per read operation with its serializers and schema.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django_countries import countries
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.pagination import StrictCursorPagination
from outages import figures, selectors
from outages.detection.timebuckets import MINUTE
from outages.models import Incident, Service
from outages.official.serializers import AcknowledgementSerializer, OfficialStatusSerializer
from outages.official.wording import official_json
from outages.status_cache import status_summary
from outages.vocabulary import PROBLEMS_BY_CATEGORY, Category, Platform, Problem

LEVELS = {0: "no_problems", 1: "possible_problems", 2: "problems"}
# Public reads change at most once a minute (the detection pass): a short max-age, then a
# stale copy may be served while a cache revalidates. ETags come from ConditionalGetMiddleware.
CACHE_CONTROL = "public, max-age=30, stale-while-revalidate=60"
# Free text in a query: any but NUL, which DRF's text fields refuse (the schema says so).
SEARCH = OpenApiParameter(
    "search",
    {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[^\u0000]*$"},
    OpenApiParameter.QUERY,
    description="A service's name, slug or alias; typos welcome.",
)


class QueryFilters(serializers.Serializer[Any]):
    """A read's query parameters, strictly: an unknown parameter (a typo such as `platfrom`)
    or an empty value (`?status=`) is refused with the parameter named, never ignored."""

    def to_internal_value(self, data: Any) -> Any:
        known = {*self.fields, *self.context.get("paging", ())}
        errors = {name: ["Unknown parameter."] for name in data if name not in known}
        empty = [name for name in self.fields if name in data and data.get(name) == ""]
        errors.update({name: ["Empty: give a value or leave the parameter out."] for name in empty})
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


# What the API docs say of the operations anyone may call: no lock (no security requirement);
# the optional partner key is in each description and in components.securitySchemes.
PUBLIC: list[str] = []
ANONYMOUS = (
    "Anonymous: no key is needed. A partner API key (`Authorization: Bearer odk_...` or "
    "`X-Api-Key`) only raises the rate limit."
)


class PublicReadApi(APIView):
    """A read anyone may cache for a short while. Its query is validated before the handler
    runs (FilterSerializer, plus the cursor and limit of a paginated list): self.query."""

    FilterSerializer: type[QueryFilters] = QueryFilters
    query: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        paginator = getattr(self, "pagination_class", None)
        paging = (
            {paginator.cursor_query_param, paginator.page_size_query_param} if paginator else set()
        )
        filters = self.FilterSerializer(data=request.query_params, context={"paging": paging})
        filters.is_valid(raise_exception=True)
        self.query = filters.validated_data

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def]
        response = super().finalize_response(request, response, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response["Cache-Control"] = CACHE_CONTROL
        return response


class SlugCursor(StrictCursorPagination):
    ordering = "slug"


class StartedCursor(StrictCursorPagination):
    ordering = "-started_at"


class _Status(serializers.Serializer[Any]):
    level = serializers.IntegerField(help_text="0 no problems, 1 possible problems, 2 problems")
    status = serializers.CharField()
    reports_15min = serializers.IntegerField(source="recent")
    expected_15min = serializers.FloatField(source="expected")
    deviation = serializers.FloatField()
    updated_at = serializers.DateTimeField(source="minute")
    reports_24h = serializers.IntegerField(help_text="The sum of the sparkline")
    sparkline_start = serializers.DateTimeField(help_text="Start of the sparkline's first quarter")
    sparkline = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Problem reports per quarter-hour, the 96 ending with the current one",
    )


class ServiceListApi(PublicReadApi):
    pagination_class = SlugCursor

    class FilterSerializer(QueryFilters):
        # Surrounding spaces are ignored (only spaces: nothing matches), not refused.
        search = serializers.CharField(required=False, max_length=100, trim_whitespace=False)
        category = serializers.ChoiceField(Category.choices, required=False)

    class OutputSerializer(serializers.ModelSerializer[Service]):
        problems = serializers.ListField(
            child=serializers.ChoiceField(Problem.choices),
            source="problem_types",
            read_only=True,
            help_text="The problem types its reports may carry: its category's "
            "(GET /api/v1/categories), in the order its report buttons show them.",
        )

        class Meta:
            model = Service
            fields = ["slug", "name", "category", "url", "problems"]

    @extend_schema(
        operation_id="services_list",
        summary="List services",
        description="Active services by slug, a page at a time (follow `next`), optionally of "
        "one category; or, with `search`, the best matches of a name or alias. " + ANONYMOUS,
        auth=PUBLIC,
        parameters=[FilterSerializer, SEARCH],
        responses=OutputSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = self.query
        paginator = self.pagination_class()
        if query.get("search"):
            limit = paginator.get_page_size(request)  # refuses a bad limit here too
            found = selectors.services_search(query=query["search"], limit=limit)
            return Response(
                {
                    "next": None,
                    "previous": None,
                    "results": self.OutputSerializer(found, many=True).data,
                }
            )
        services = Service.objects.filter(is_active=True)
        if query.get("category"):
            services = services.filter(category=query["category"])
        page = paginator.paginate_queryset(services, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class _ProblemType(serializers.Serializer[Any]):
    problem = serializers.ChoiceField(Problem.choices)
    # A declared field (DRF pops it off the class), not Field.label as the stubs see.
    label = serializers.CharField()  # type: ignore[assignment]


class CategoryListApi(PublicReadApi):
    class OutputSerializer(serializers.Serializer[Any]):
        category = serializers.ChoiceField(Category.choices)
        label = serializers.CharField()  # type: ignore[assignment]
        problems = _ProblemType(many=True, help_text="In the order of the report buttons")

    @extend_schema(
        operation_id="categories_list",
        summary="Service categories and the problem types of each",
        responses=OutputSerializer(many=True),
        description="Every service category with the problem types a report on one of its "
        "services may carry (a report with another type is refused), in the order of the "
        "report buttons. Labels are in English, as everywhere in the API. " + ANONYMOUS,
        auth=PUBLIC,
    )
    def get(self, request: Request) -> Response:
        with translation.override("en"):  # the API speaks English, whatever the request asks
            data = [
                {
                    "category": category,
                    "label": str(Category(category).label),
                    "problems": [{"problem": p.value, "label": str(p.label)} for p in problems],
                }
                for category, problems in PROBLEMS_BY_CATEGORY.items()
            ]
        return Response(self.OutputSerializer(data, many=True).data)


class ServiceStatusApi(PublicReadApi):
    class OutputSerializer(serializers.Serializer[Any]):
        slug = serializers.CharField()
        name = serializers.CharField()
        status = _Status(allow_null=True)
        official = OfficialStatusSerializer(
            allow_null=True, help_text="The company's own status page, when one is polled"
        )

    @extend_schema(
        operation_id="services_status",
        summary="Get a service's status",
        description="Its level now (0 no problems, 1 possible problems, 2 problems), the "
        "problem reports of the last 15 minutes against the usual number, and the last 24 "
        "hours as 96 quarter-hours. `status` is null until the service's first minute is "
        "scored. " + ANONYMOUS,
        auth=PUBLIC,
        responses=OutputSerializer,
    )
    def get(self, request: Request, slug: str) -> Response:
        summary = status_summary(slug=slug)  # the cache: no query when warm
        if summary is None:
            raise Http404
        status = None
        if summary.minute is not None:
            until = figures.as_of(timezone.now())
            line = summary.line(until=until)
            status = {
                "level": summary.level,
                "status": LEVELS[summary.level],
                "recent": summary.recent,
                "expected": summary.expected,
                "deviation": summary.deviation,
                "minute": summary.minute,
                "reports_24h": figures.day_count(line),
                "sparkline": line,
                "sparkline_start": figures.spark_start(until),
            }
        official = official_json(crowd_level=summary.level, official=summary.official)
        data = {"slug": summary.slug, "name": summary.name, "status": status, "official": official}
        return Response(self.OutputSerializer(data).data)


class _SeriesPoint(serializers.Serializer[Any]):
    time = serializers.DateTimeField()
    reports = serializers.IntegerField()
    expected = serializers.FloatField(allow_null=True)
    lower = serializers.FloatField(allow_null=True)
    upper = serializers.FloatField(allow_null=True)
    # A declared field (DRF pops it off the class), not BaseSerializer.partial as the stubs see.
    partial = serializers.BooleanField()  # type: ignore[assignment]


class ServiceSeriesApi(PublicReadApi):
    class FilterSerializer(QueryFilters):
        range = serializers.ChoiceField(list(selectors.RANGES), default="24h")
        platform = serializers.ChoiceField(Platform.choices, required=False)
        country = CountryField(required=False)  # type: ignore[no-untyped-call]  # (django-countries)
        problem = serializers.ChoiceField(Problem.choices, required=False)

    class OutputSerializer(serializers.Serializer[Any]):
        slug = serializers.CharField()
        range = serializers.CharField()
        resolution_seconds = serializers.IntegerField()
        points = _SeriesPoint(many=True)

    @extend_schema(
        operation_id="services_series",
        summary="Get a service's reports over time",
        auth=PUBLIC,
        parameters=[FilterSerializer],
        responses=OutputSerializer,
        description="Problem reports per interval, zero-filled, with the baseline's expected "
        "value and typical band; the last interval is still filling (partial). A platform, a "
        "country and a problem type narrow the reports; the band is that platform's or "
        "country's own, and null when a problem type or both a platform and a country are "
        "given (no baseline is kept for those). " + ANONYMOUS,
    )
    def get(self, request: Request, slug: str) -> Response:
        query = self.query
        range_name = query["range"]
        service = status_summary(slug=slug)
        if service is None:
            raise Http404
        dimension = next((d for d in ("platform", "country") if d in query), None)
        series = selectors.series_with_band(
            service_id=service.service_id,
            end=timezone.now(),
            range_name=range_name,
            segment=(dimension, query[dimension]) if dimension else None,
            problem=query.get("problem"),
            country=query["country"] if dimension == "platform" and "country" in query else None,
        )
        columns = ("time", "reports", "expected", "lower", "upper", "partial")
        points = [dict(zip(columns, point, strict=True)) for point in series.points()]
        data = {
            "slug": service.slug,
            "range": range_name,
            "resolution_seconds": int(series.resolution.total_seconds()),
            "points": _SeriesPoint(points, many=True).data,
        }
        return Response(data)


class _Share(serializers.Serializer[Any]):
    key = serializers.CharField(allow_null=True, help_text="null: country unknown")
    # A declared field (DRF pops it off the class), not Field.label as the stubs see.
    label = serializers.CharField()  # type: ignore[assignment]
    reports = serializers.IntegerField()
    share = serializers.FloatField(help_text="Of all problem reports in the range, 0 to 1")


class ServiceBreakdownsApi(PublicReadApi):
    class FilterSerializer(QueryFilters):
        range = serializers.ChoiceField(list(selectors.RANGES), default="24h")

    class OutputSerializer(serializers.Serializer[Any]):
        slug = serializers.CharField()
        range = serializers.CharField()
        since = serializers.DateTimeField()
        until = serializers.DateTimeField()
        total = serializers.IntegerField()
        platform = _Share(many=True)
        problem = _Share(many=True)
        country = _Share(many=True)

    @extend_schema(
        operation_id="services_breakdowns",
        summary="Get a service's reports by platform, problem and country",
        auth=PUBLIC,
        parameters=[FilterSerializer],
        responses=OutputSerializer,
        description="Problem reports over the range by platform, by problem type and by "
        "country, most reported first, each with its share of the total. " + ANONYMOUS,
    )
    def get(self, request: Request, slug: str) -> Response:
        range_name = self.query["range"]
        service = get_object_or_404(Service, slug=slug, is_active=True)
        now = timezone.now()
        until = figures.as_of(now) + MINUTE
        # Over 24 hours, the sparkline's quarters: the total is the 24 h count.
        since = (
            figures.spark_start(figures.as_of(now))
            if range_name == "24h"
            else until - selectors.RANGES[range_name][0]
        )
        found = selectors.breakdown_cached(service_id=service.id, since=since, now=now)
        total = sum(found["platform"].values())
        data = {
            "slug": service.slug,
            "range": range_name,
            "since": since,
            "until": until,
            "total": total,
            **{
                dimension: _shares(dimension, found[dimension], total)
                for dimension in ("platform", "problem", "country")
            },
        }
        return Response(self.OutputSerializer(data).data)


def _shares(dimension: str, counts: Counter[str], total: int) -> list[dict[str, Any]]:
    labels = {"platform": Platform, "problem": Problem}.get(dimension)
    rows = []
    for key, reports in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if dimension == "country":
            known = key != "??"
            label = countries.name(key) if known else "Unknown"
        else:
            known = True
            assert labels is not None  # (platform or problem)
            label = labels(key).label if key in labels.values else key
        rows.append(
            {
                "key": key if known else None,
                "label": str(label or key),
                "reports": reports,
                "share": round(reports / total, 4),
            }
        )
    return rows


class _IncidentSerializer(serializers.ModelSerializer[Incident]):
    service = serializers.SlugRelatedField[Service](slug_field="slug", read_only=True)
    acknowledgement = AcknowledgementSerializer(
        read_only=True, allow_null=True, help_text="When the company's status page first said so"
    )

    class Meta:
        model = Incident
        fields = [
            "id",
            "service",
            "dimension",
            "value",
            "status",
            "level",
            "started_at",
            "detected_at",
            "ended_at",
            "recovering_at",
            "peak_at",
            "peak_count",
            "peak_quarter_at",
            "peak_quarter_count",
            "total",
            "expected_total",
            "works_total",
            "confidence",
            "platforms",
            "problems",
            "countries",
            "scope",
            "only",
            "cascade",
            "acknowledgement",
        ]


class IncidentListApi(PublicReadApi):
    pagination_class = StartedCursor

    class FilterSerializer(QueryFilters):
        service = serializers.SlugField(required=False)
        status = serializers.ChoiceField(Incident.Status.choices, required=False)
        scope = serializers.ChoiceField(Incident.Scope.choices, required=False)

    @extend_schema(
        operation_id="incidents_list",
        summary="List incidents",
        description="Public incidents, the latest start first, a page at a time (follow "
        "`next`); narrowed to one service, status or scope. " + ANONYMOUS,
        auth=PUBLIC,
        parameters=[FilterSerializer],
        responses=_IncidentSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        query = self.query
        incidents = Incident.objects.filter(visibility=Incident.Visibility.PUBLIC).select_related(
            "service", "acknowledgement__official_incident"
        )
        if "service" in query:
            incidents = incidents.filter(service__slug=query["service"])
        if "status" in query:
            incidents = incidents.filter(status=query["status"])
        if "scope" in query:
            incidents = incidents.filter(scope=query["scope"])
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(incidents, request, view=self)
        return paginator.get_paginated_response(_IncidentSerializer(page, many=True).data)


class IncidentDetailApi(PublicReadApi):
    @extend_schema(
        operation_id="incidents_retrieve",
        summary="Get an incident",
        description="One public incident: when it started, peaked and ended, its reports "
        "against the usual number, and its platforms, problem types and countries. " + ANONYMOUS,
        auth=PUBLIC,
        responses=_IncidentSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        incident = get_object_or_404(
            Incident.objects.select_related("service", "acknowledgement__official_incident"),
            pk=pk,
            visibility=Incident.Visibility.PUBLIC,
        )
        return Response(_IncidentSerializer(incident).data)
