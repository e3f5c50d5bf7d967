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
from urllib.parse import urlsplit

import redis
from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from common.api_errors import problem_response
from outages import figures
from outages.charts import sparkline_points
from outages.edge import edge_read
from outages.embed.tokens import TokenRejected, embed_token_issue, embed_token_redeem
from outages.status_cache import StatusSummary, status_summary
from outages.vocabulary import Source, problems_of
from reports.apis import _json_body as json_body
from reports.intake.client import report_intake_from
from reports.intake.errors import Rejected

THEMES = ("auto", "light", "dark")
LANGS = ("en", "fr")
SPARK_WIDTH, SPARK_HEIGHT = 240, 40


@require_GET
def widget_js(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_widget_source(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@cache
def _widget_source() -> bytes:
    found = finders.find("embed/widget.js")
    return Path(found if isinstance(found, str) else "").read_bytes()


@edge_read()
@xframe_options_exempt  # any site may frame it (common.framing: frame-ancestors *)
@require_GET
def embed_page(request: HttpRequest, slug: str) -> HttpResponse:
    lang = request.GET.get("lang") if request.GET.get("lang") in LANGS else "en"
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


@csrf_exempt  # nothing to protect: a token only allows one report, sent with it
def embed_token(request: HttpRequest, slug: str) -> HttpResponse:
    """A fresh single-use report token for the widget's button (POST, never cached). The
    page passes the embedding site's origin it was given (see embedding_origin)."""
    try:
        data = json_body(request)
    except Rejected as rejection:
        return problem_response(
            status=rejection.status, reason=rejection.reason, detail=rejection.detail
        )
    if status_summary(slug=slug) is None:
        return problem_response(status=404, reason="not_found", detail="No such service.")
    given = data.get("origin", "") if isinstance(data, dict) else ""
    origin = embedding_origin(request, given=given if isinstance(given, str) else "")
    response = JsonResponse({"token": embed_token_issue(slug=slug, origin=origin)})
    response["Cache-Control"] = "no-store"
    return response


@xframe_options_exempt
@csrf_exempt  # the signed single-use token in the body replaces the CSRF cookie
def embed_report(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        data = json_body(request)
        token = data.pop("token", None) if isinstance(data, dict) else None
        grant = embed_token_redeem(token, slug=slug)
        accepted = report_intake_from(
            request, data=data, service_slug=slug, source=Source.WIDGET, origin=grant.origin
        )
    except Rejected as rejection:
        return problem_response(
            status=rejection.status, reason=rejection.reason, detail=rejection.detail,
            errors=[(e.field, e.reason) for e in rejection.errors],
            retry_after=rejection.retry_after,
        )  # fmt: skip
    except TokenRejected as rejection:
        return problem_response(
            status=403, reason="invalid_token",
            detail="The widget's report token is not valid: reload the widget and try again.",
            errors=[("token", rejection.reason)],
        )  # fmt: skip
    except redis.RedisError:
        return problem_response(
            status=503, reason="unavailable", detail="Try again in a moment.",
            retry_after=settings.INTAKE_RETRY_AFTER_SECONDS,
        )  # fmt: skip
    return JsonResponse({"counted": accepted.counted}, status=202)


def embedding_origin(request: HttpRequest, *, given: str = "") -> str:
    """The site framing the embed page, as the page says it (the `?origin=` widget.js set from
    location.origin, else its document.referrer), else the Referer's origin; never our own,
    and "" when none is a valid http(s) origin."""
    own = f"{request.scheme}://{request.get_host()}"
    origin = http_origin(given, path_allowed=True)
    if origin and origin != own:
        return origin
    referer = http_origin(request.headers.get("Referer", ""), path_allowed=True)
    return referer if referer != own else ""


def http_origin(value: str, *, path_allowed: bool = False) -> str:
    """`scheme://host[:port]` of an http(s) URL (lower-cased), or "" if it is not one."""
    if not value or len(value) > 200 or not value.isascii() or not value.isprintable():
        return ""
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username:
        return ""
    if not path_allowed and (parts.path not in {"", "/"} or parts.query or parts.fragment):
        return ""
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port else "")


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
