"""The widget's routes: the loader script, the iframe page, its report token and report POST.

None of them reads or writes the session or the CSRF cookie, so no response sets a cookie:
the report is protected by a signed single-use token (tokens.py) instead, which the page asks
for when the button is clicked. So the page itself is the same for every visitor: an edge read
(outages/edge.py), served from the cache with no query.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET

from outages import figures
from outages.charts import sparkline_points
from outages.edge import edge_read
from outages.status_cache import StatusSummary, status_summary
from outages.vocabulary import problems_of

THEMES = ("auto", "light", "dark")
SPARK_WIDTH, SPARK_HEIGHT = 240, 40


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_widget_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _language(asked: str) -> str:
    """The site language closest to the host page's ("de-AT" is German, "pt" Brazilian
    Portuguese), English when there is none."""
    try:
        return translation.get_supported_language_variant(asked.lower())
    except LookupError:
        return settings.LANGUAGE_CODE


@cache
def _widget_source() -> bytes:
    found = finders.find("embed/widget.js")
    return Path(found if isinstance(found, str) else "").read_bytes()


@edge_read()
@xframe_options_exempt  # any site may frame it (common.framing: frame-ancestors *)
@require_GET
def embed_page(request: HttpRequest, slug: str) -> HttpResponse:
    lang = _language(request.GET.get("lang", ""))
    theme = request.GET.get("theme") if request.GET.get("theme") in THEMES else "auto"
    compact = request.GET.get("compact") in {"1", "true", "yes"}
    with translation.override(lang):
        service = status_summary(slug=slug)  # the cache: no query when warm
        if service is None:
            html = render_to_string("embed/unknown.html", {"lang": lang, "theme": theme})
            return _public(HttpResponse(html, status=404))
        context = {
            "service": service,
            "level": service.level,
            "recent": service.recent,
            "spark": _sparkline(service),
            "lang": lang,
            "theme": theme,
            "compact": compact,
            # One button per problem type of its category; compact: one button ("other").
            "problems": () if compact else problems_of(service.category),
            "token_url": reverse("embed_token", args=[service.slug]),
            "report_url": reverse("embed_report", args=[service.slug]),
            # Relative: inside the frame it resolves against our own origin.
            "page_url": reverse("service_detail", args=[slug]),
        }
        return _public(HttpResponse(render_to_string("embed/embed.html", context)))


def _sparkline(status: StatusSummary) -> dict[str, object]:
    """The polyline of the 24 h of quarter-hour counts (outages.figures), and the typical band
    behind it: the baseline's expected count per quarter (status.expected is for the last 15
    minutes) +/- two Poisson standard deviations."""
    values = status.line(until=figures.as_of(timezone.now()))
    expected = status.expected
    upper = expected + 2 * math.sqrt(expected)
    lower = max(expected - 2 * math.sqrt(expected), 0.0)
    top = max([*values, upper, 1])

    def y(value: float) -> float:
        return round(SPARK_HEIGHT - 1 - (SPARK_HEIGHT - 2) * value / top, 1)

    return {
        "width": SPARK_WIDTH,
        "height": SPARK_HEIGHT,
        "points": sparkline_points(values, width=SPARK_WIDTH, height=SPARK_HEIGHT, top=top),
        "band_y": y(upper),
        "band_height": round(y(lower) - y(upper), 1),
        "has_band": expected > 0,
        "total": figures.day_count(values),
    }


def _public(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=60, stale_while_revalidate=300)
    return response
