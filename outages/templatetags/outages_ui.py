"""Template helpers of the public pages: times the reader's browser can localise, durations,
ratios and scope words in the active language."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django_countries import countries

from outages import summaries
from outages.vocabulary import Platform, Problem

register = template.Library()


@register.filter
def utc_time(moment: datetime | None, with_date: str = "") -> SafeString | str:
    """`{{ incident.started_at|utc_time }}` -> `<time datetime="…">14:05 UTC</time>`;
    `|utc_time:"date"` puts the day first."""
    if moment is None:
        return ""
    return summaries.time_html(moment, date=with_date == "date")


@register.filter
def duration(span: timedelta | None) -> str:
    return "" if span is None else summaries.duration_words(span)


@register.filter
def ratio_text(value: float | None) -> str:
    """`{{ shape.peak_ratio|ratio_text }}` -> "2.4", "37", "3,680" or "—": every page that
    shows a ratio reads it through here, so one figure reads the same everywhere."""
    return summaries.ratio_text(value)


@register.filter
def scope_words(scope: str) -> str:
    return summaries.scope_words(scope) if scope else ""


@register.filter
def platform_label(value: str) -> str:
    return str(Platform(value).label) if value in Platform.values else value


@register.filter
def problem_label(value: str) -> str:
    return str(Problem(value).label) if value in Problem.values else value


@register.filter
def country_name(code: str) -> str:
    """The country's name in the active language; "??" (not known) reads "Unknown"."""
    if not code or code == "??":
        return _("Unknown")
    return str(countries.name(code)) or code
