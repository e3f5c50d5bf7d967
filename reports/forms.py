"""What the report form shows: the closed lists and the defaults guessed from the request."""

from __future__ import annotations

import uuid
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
    values = values or {}
    return {
        "form_values": {
            # A fresh id per rendered form: a double submit is one report.
            "id": values.get("id") or str(uuid.uuid4()),
            "problem": values.get("problem", ""),
            "platform": values.get("platform")
            or guess_platform(request.headers.get("User-Agent", "")),
            "country": values.get("country", default_country(request)),
            "subdivision": values.get("subdivision", ""),
        },
        # The service's category decides its buttons (intake refuses the other types).
        "problems": [(problem.value, problem.label) for problem in problems_of(service.category)],
        "platforms": Platform.choices,
        "countries": list(countries),
        "service": service,
    }
