"""What the report form shows: the closed lists and the defaults guessed from the request."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django_countries import countries

from outages.models import Service
from outages.vocabulary import Platform, problems_of
from reports.intake.client import default_country


def guess_platform(user_agent: str) -> str:
    agent = user_agent.lower()
    if "iphone" in agent or "ipad" in agent:
        return Platform.IOS
    if "android" in agent:
        return Platform.ANDROID
    return Platform.WEB


def report_form_context(
    request: HttpRequest, service: Service, values: dict[str, str] | None = None
) -> dict[str, Any]:
    """The form's context: the same for every visitor (the service page is a shared, cached
    page), unless re-shown with a visitor's own values after a refusal. The report id is made
    by the page's script, or by the server when the form is posted without it; an empty
    platform or country is guessed from the request at POST time (report_defaults)."""
    values = values or {}
    return {
        "form_values": {
            "id": values.get("id", ""),
            "problem": values.get("problem", ""),
            "platform": values.get("platform", ""),
            "country": values.get("country", ""),
            "subdivision": values.get("subdivision", ""),
        },
        # The service's category decides its buttons (intake refuses the other types).
        "problems": [(problem.value, problem.label) for problem in problems_of(service.category)],
        "platforms": Platform.choices,
        "countries": list(countries),
        "service": service,
    }


def report_guesses(request: HttpRequest) -> dict[str, str]:
    """The platform and country guessed for this visitor, preselected by the report page of its
    own (not a shared page: it is rendered per request)."""
    return {
        "platform": guess_platform(request.META.get("HTTP_USER_AGENT", "")),
        "country": default_country(request),
    }


def report_defaults(request: HttpRequest, data: dict[str, str]) -> dict[str, str]:
    """A posted form with its platform guessed from the User-Agent when left empty; an empty
    country is the intake's to guess (reports.intake.client.default_country)."""
    if data.get("platform"):
        return data
    return {**data, "platform": guess_platform(request.META.get("HTTP_USER_AGENT", ""))}
