"""Comparison views, served by the same gunicorn as the product.

bare: the least a JSON POST endpoint does (decode the body, answer JSON): the intake bar's
denominator. DrfReportCreate: the same intake behind DRF's request machinery and its
InputSerializer, to show what the lean report_create saves.
"""

from __future__ import annotations

import json
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework.request import Request
from rest_framework.views import APIView

from common.api_errors import problem_response
from outages.vocabulary import Source
from reports.apis import ReportCreateDoc
from reports.intake.client import client_of
from reports.intake.errors import Rejected
from reports.intake.pipeline import report_intake


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    data = json.loads(request.body) if request.body else {}
    return JsonResponse({"id": str(data.get("id") or uuid.uuid4()), "status": "ok"}, status=202)


class DrfReportCreate(APIView):
    authentication_classes = []
    permission_classes = []

    def post(self, request: Request, slug: str) -> HttpResponse:
        ReportCreateDoc.InputSerializer(data=request.data).is_valid(raise_exception=True)
        try:
            accepted = report_intake(
                data=request.data,
                service_slug=slug,
                source=Source.API,
                client=client_of(request._request),
                now=timezone.now(),
            )
        except Rejected as rejection:
            return problem_response(
                status=rejection.status, reason=rejection.reason, detail=rejection.detail
            )
        status = "counted" if accepted.counted else "already_counted"
        return JsonResponse({"id": str(accepted.request.id), "status": status}, status=202)
