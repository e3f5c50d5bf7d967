"""The report button's HTML door: a form that works without JavaScript, on a page that is the
same for everyone. Cross-site forgeries are refused by common.cross_origin (Fetch Metadata and
Origin, a token only for browsers that send neither); a report posted without an id gets one
made here, and the intake's dedupe still counts a person once."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from common.api_errors import problem_response
from common.cross_origin import public_form
from outages.models import Service
from outages.selectors import recent_reports
from outages.vocabulary import Source
from reports.forms import report_defaults, report_form_context, report_guesses
from reports.intake.client import report_intake_from
from reports.intake.errors import Rejected

FORM_FIELDS = ("id", "kind", "platform", "problem", "country", "subdivision")


@public_form
@require_http_methods(["GET", "POST"])
def report_form(request: HttpRequest, slug: str) -> HttpResponse:
    service = get_object_or_404(Service, slug=slug, is_active=True)
    if request.method == "GET":
        context = report_form_context(request, service, values=report_guesses(request))
        return render(request, "reports/report_page.html", context)
    data = {name: request.POST[name] for name in FORM_FIELDS if request.POST.get(name)}
    data = report_defaults(request, data)
    if data.get("kind") == "works":
        data.pop("problem", None)
    try:
        accepted = report_intake_from(request, data=data, service_slug=slug, source=Source.SITE)
    except Rejected as rejection:
        if _wants_json(request):
            return problem_response(
                status=rejection.status,
                reason=rejection.reason,
                detail=rejection.detail,
                errors=[(e.field, e.reason) for e in rejection.errors],
                retry_after=rejection.retry_after,
            )
        context = report_form_context(request, service, values=data)
        context["rejection"] = rejection
        response = render(request, "reports/report_page.html", context, status=rejection.status)
        if rejection.retry_after:
            response["Retry-After"] = str(rejection.retry_after)
        return response
    if accepted.counted:
        message = _("Thank you: your report about %(name)s is counted.") % {"name": service.name}
    else:
        message = _("You already reported this in the last minutes: it is counted once.")
    if _wants_json(request):  # the page's script: answer in place, no reload
        recent = recent_reports(service_id=service.id, now=timezone.now())
        summary = _("%(problems)s and %(works)s in the last 15 minutes.") % {
            "problems": ngettext(
                "%(n)d problem report", "%(n)d problem reports", recent["problems"]
            )
            % {"n": recent["problems"]},
            "works": ngettext("%(n)d “works for me”", "%(n)d “works for me”", recent["works"])
            % {"n": recent["works"]},
        }
        return JsonResponse(
            {"counted": accepted.counted, "message": f"{message} {summary}", **recent}
        )
    (messages.success if accepted.counted else messages.info)(request, message)
    return redirect("service_detail", slug=slug)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")
