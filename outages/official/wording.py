"""The official status beside the crowd's, in words: one sentence per combination of the
crowd's level and what the company's page says. No queries: callers pass the summary."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from outages.official.models import Indicator
from outages.official.selectors import OfficialStatus
from outages.summaries import duration_words


def side_by_side(*, crowd_level: int, official: OfficialStatus | None) -> str:
    """E.g. "Users report problems; the company has not acknowledged them yet."."""
    if official is None:
        return ""
    if crowd_level > 0:
        if official.lead_seconds is not None:
            if official.lead_seconds > 0:
                return _("Acknowledged by the company %(lead)s after users' reports began.") % {
                    "lead": duration_words(timedelta(seconds=official.lead_seconds))
                }
            return _("The company announced it before users' reports rose.")
        if official.reports_problems:
            return _("Users report problems; the company reports problems too.")
        if official.indicator == Indicator.MAINTENANCE:
            return _("Users report problems; the company announces maintenance.")
        return _("Users report problems; the company has not acknowledged them yet.")
    if official.reports_problems:
        return _("The company reports problems; users' reports are at their usual level.")
    if official.indicator == Indicator.MAINTENANCE:
        return _("The company announces maintenance; users' reports are at their usual level.")
    if official.indicator == Indicator.NONE:
        return _("The company reports no problems either.")
    return _("The company's status page has not been read yet.")


def official_json(*, crowd_level: int, official: OfficialStatus | None) -> dict[str, Any] | None:
    """The `official` object of the status API, in English whatever the request's language:
    the answer is shared by every reader (outages/edge.py), like the rest of the API's."""
    if official is None:
        return None
    with translation.override("en"):
        label = official.label
        sentence = side_by_side(crowd_level=crowd_level, official=official)
    return {
        "indicator": official.indicator,
        "label": label,
        "description": official.description,
        "incident_title": official.incident_title,
        "incident_url": official.incident_url or None,
        "updated_at": official.updated_at,
        "polled_at": official.polled_at,
        "link": official.link,
        "failing": official.failing,
        "acknowledged_at": official.acknowledged_at,
        "lead_seconds": official.lead_seconds,
        "sentence": sentence,
    }
