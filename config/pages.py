"""Pages composed of several apps, wired here at the top so that no app imports another
upward: the service page (outages) shows the report form (reports) and the comments
section (comments), handed to it as sections through its URL (config/urls.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.http import HttpRequest

from comments.views import comments_section_context
from outages.models import Incident, Service
from outages.views import PageSection
from reports.forms import report_form_context


def _report_form(
    request: HttpRequest, service: Service, incidents: Sequence[Incident]
) -> Mapping[str, Any]:
    return report_form_context(request, service)


SERVICE_SECTIONS: tuple[PageSection, ...] = (_report_form, comments_section_context)
