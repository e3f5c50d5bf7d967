"""The widget's three routes: the loader script, the iframe page and its report POST.

None of them reads or writes the session or the CSRF cookie, so no response sets a cookie:
the report is protected by the page's signed single-use token (tokens.py) instead.
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
from django.utils import translation
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from common.api_errors import problem_response
from outages.charts import sparkline_points
from outages.embed.tokens import TokenRejected, embed_token_issue, embed_token_redeem
from outages.models import Service, ServiceStatus
from outages.vocabulary import Source
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


@xframe_options_exempt  # any site may frame it (common.framing: frame-ancestors *)
@require_GET
def embed_page(request: HttpRequest, slug: str) -> HttpResponse:
    lang = request.GET.get("lang") if request.GET.get("lang") in LANGS else "en"
    theme = request.GET.get("theme") if request.GET.get("theme") in THEMES else "auto"
    compact = request.GET.get("compact") in {"1", "true", "yes"}
    with translation.override(lang):
        service = Service.objects.filter(slug=slug, is_active=True).first()
        if service is None:
            html = render_to_string("embed/unknown.html", {"lang": lang, "theme": theme})
            return _no_store(HttpResponse(html, status=404))
        status = ServiceStatus.objects.filter(service=service).first()
        origin = embedding_origin(request)
        context = {
            "service": service,
            "level": status.level if status else 0,
            "recent": status.recent if status else 0,
            "spark": _sparkline(status),
            "lang": lang,
            "theme": theme,
            "compact": compact,
            "token": embed_token_issue(slug=service.slug, origin=origin),
            "report_url": reverse("embed_report", args=[service.slug]),
            "page_url": request.build_absolute_uri(reverse("service_detail", args=[slug])),
        }
        return _no_store(HttpResponse(render_to_string("embed/embed.html", context)))


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


def embedding_origin(request: HttpRequest) -> str:
    """The site framing the embed page: `?origin=` (set by widget.js from location.origin),
    else the Referer's origin when it is not our own; "" when neither is a valid http(s)
    origin."""
    given = http_origin(request.GET.get("origin", ""))
    if given:
        return given
    referer = http_origin(request.headers.get("Referer", ""), path_allowed=True)
    own = f"{request.scheme}://{request.get_host()}"
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


def _sparkline(status: ServiceStatus | None) -> dict[str, object]:
    """The polyline of the 24 h of quarter-hour counts, and the typical band behind it: the
    baseline's expected count per quarter (status.expected is for the last 15 minutes)
    +/- two Poisson standard deviations."""
    values = list(status.sparkline) if status else []
    expected = status.expected if status else 0.0
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
        "total": sum(values),
    }


def _no_store(response: HttpResponse) -> HttpResponse:
    # Each render issues a fresh single-use token: never serve one from a cache.
    response["Cache-Control"] = "no-store"
    return response
