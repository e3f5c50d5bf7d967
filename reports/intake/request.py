"""Turn an HTTP payload into a validated ReportRequest, or reject it naming every bad field.

Nothing here touches a database or Redis: it is pure validation of values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import pycountry
from django_countries import countries

from outages.vocabulary import PROBLEMS_BY_CATEGORY, Category, Kind, Platform, Source, problems_of
from reports.intake.errors import FieldError, Rejected, RejectReason

COUNTRY_CODES = frozenset(code for code, _ in countries)
SUBDIVISION_CODES = frozenset(s.code for s in pycountry.subdivisions)
# The shape of every ISO 3166-2 code (a country, then 1 to 3 letters or digits), for the schema;
# which codes exist, and of which country, is checked against SUBDIVISION_CODES.
SUBDIVISION_PATTERN = r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$"
FIELDS = frozenset({"id", "kind", "platform", "problem", "country", "subdivision"})
_KINDS = frozenset(Kind.values)
_PLATFORMS = frozenset(Platform.values)
# A service's category decides which problem types its reports may carry.
_PROBLEMS = {category: frozenset(problems) for category, problems in PROBLEMS_BY_CATEGORY.items()}


@dataclass(frozen=True)
class ReportRequest:
    id: uuid.UUID
    service_slug: str
    kind: str
    platform: str
    problem: str
    country: str
    subdivision: str
    source: str
    origin: str = ""


def parse_report(
    data: object,
    *,
    service_slug: str,
    source: Source,
    category: str,
    default_country: str = "",
    origin: str = "",
) -> ReportRequest:
    """Validate a decoded JSON object or form for a service of `category`; raise Rejected
    listing each bad field."""
    if not isinstance(data, Mapping):
        raise Rejected(RejectReason.MALFORMED_BODY, "The body must be a JSON object.")
    errors = [FieldError(name, "unknown field") for name in sorted(set(data) - FIELDS)]

    def text(name: str) -> str:
        value = data.get(name)
        if value is None:
            return ""
        if not isinstance(value, str):
            errors.append(FieldError(name, "must be a string"))
            return ""
        return value.strip()

    report_id = _parse_id(text("id"), errors)
    kind = text("kind") or Kind.PROBLEM
    if kind not in _KINDS:
        errors.append(FieldError("kind", f"must be one of {sorted(_KINDS)}"))
    platform = text("platform")
    if platform not in _PLATFORMS:
        errors.append(FieldError("platform", f"required, one of {sorted(_PLATFORMS)}"))
    problem = text("problem")
    if kind == Kind.WORKS and problem:
        errors.append(FieldError("problem", "a 'works' report carries no problem type"))
    elif kind == Kind.PROBLEM and problem not in _PROBLEMS.get(category, _PROBLEMS[Category.OTHER]):
        errors.append(FieldError("problem", _problem_reason(category)))
    country = text("country").upper()
    if not country:  # not given (or empty): the request's own, when it says one
        country = default_country if default_country in COUNTRY_CODES else ""
    elif country not in COUNTRY_CODES:
        errors.append(FieldError("country", "must be an ISO 3166-1 alpha-2 code, e.g. 'FR'"))
    subdivision = text("subdivision").upper()
    if subdivision and (
        subdivision not in SUBDIVISION_CODES or not subdivision.startswith(f"{country}-")
    ):
        errors.append(
            FieldError("subdivision", "must be an ISO 3166-2 code of the country, e.g. 'FR-IDF'")
        )
    if errors:
        raise Rejected(RejectReason.INVALID_FIELD, "Some fields are invalid.", errors)
    return ReportRequest(
        id=report_id,
        service_slug=service_slug,
        kind=kind,
        platform=platform,
        problem=problem,
        country=country,
        subdivision=subdivision,
        source=source,
        origin=origin[:200],
    )


def _problem_reason(category: str) -> str:
    allowed = [str(value) for value in problems_of(category)]
    return f"required, one of the problem types of a '{category}' service: {allowed}"


def _parse_id(raw: str, errors: list[FieldError]) -> uuid.UUID:
    if not raw:
        return uuid.uuid4()
    try:
        return uuid.UUID(raw)
    except ValueError:
        errors.append(FieldError("id", "must be a UUID"))
        return uuid.uuid4()
