"""Status badges: an SVG and a shields.io endpoint (the chart's data as a download is in
outages/series_exports.py).

Function views, thin: a badge reads the service's status summary from the cache
(outages/status_cache.py, refreshed by the detection pass every minute), never its buckets, and
every view here is an edge read (outages/edge.py): answered from the cache, 304 included, with
no query when warm. Every answer may be cached by anyone for a minute, carries an ETag (a hash
of its body) and may be fetched from any site without credentials.
"""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.html import format_html
from django.views.decorators.http import require_safe

from outages.edge import cacheable_anywhere, edge_read
from outages.status_cache import StatusSummary, status_summary

LABEL_MAX = 40
# Characters XML 1.0 forbids even escaped (control characters, lone surrogates): one in a
# label would make the whole SVG unreadable, so they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# ServiceStatus.level -> (message, SVG colour, shields.io colour name)
LEVELS = {
    0: ("no problems", "#4c1", "brightgreen"),
    1: ("possible problems", "#fe7d37", "orange"),
    2: ("problems", "#e05d44", "red"),
}
NOT_FOUND = ("not found", "#9f9f9f", "lightgrey")
THEMES = {  # label box, text, text shadow
    "light": ("#555", "#fff", "#010101"),
    "dark": ("#1f2328", "#fff", "#000"),
}

# Advance widths of Verdana at 11 px (what shields.io measures with), ASCII 32..126.
_WIDTHS = (
    3.87,
    4.33,
    5.05,
    9.0,
    7.0,
    11.84,
    7.99,
    2.95,
    4.99,
    4.99,
    7.0,
    9.0,
    4.0,
    4.99,
    4.0,
    4.99,
    7.0,
    7.0,
    7.0,
    7.0,
    7.0,
    7.0,
    7.0,
    7.0,
    7.0,
    7.0,
    4.99,
    4.99,
    9.0,
    9.0,
    9.0,
    6.0,
    11.0,
    7.52,
    7.54,
    7.68,
    8.48,
    6.96,
    6.32,
    8.53,
    8.27,
    4.63,
    5.0,
    7.62,
    6.12,
    9.27,
    8.23,
    8.66,
    6.63,
    8.66,
    7.65,
    7.52,
    6.78,
    8.05,
    7.52,
    10.87,
    7.54,
    6.77,
    7.54,
    4.99,
    4.99,
    4.99,
    9.0,
    7.0,
    7.0,
    6.61,
    6.85,
    5.73,
    6.85,
    6.55,
    3.87,
    6.85,
    6.96,
    3.02,
    3.79,
    6.51,
    3.02,
    10.7,
    6.96,
    6.68,
    6.85,
    6.85,
    4.69,
    5.73,
    4.33,
    6.96,
    6.51,
    9.0,
    6.51,
    6.51,
    5.78,
    6.98,
    4.99,
    6.98,
    9.0,
)
CHAR_WIDTH = {chr(32 + i): width for i, width in enumerate(_WIDTHS)}
OTHER_WIDTH = 7.0  # accented letters and the like
WIDE_WIDTH = 11.0  # CJK and other wide characters
PADDING = 10  # 5 px each side of a box's text


def text_width(text: str) -> float:
    """The text's width in px at 11 px Verdana, estimated character by character."""
    return sum(CHAR_WIDTH.get(c, WIDE_WIDTH if ord(c) >= 0x1100 else OTHER_WIDTH) for c in text)


def badge_svg_text(*, label: str, message: str, color: str, theme: str = "light") -> str:
    """A "flat" badge: grey label box, coloured message box, rounded corners, a faint
    gradient, and a title for screen readers. Texts are escaped here."""
    label, message = _NOT_XML.sub("", label), _NOT_XML.sub("", message)
    label_fill, text_fill, shadow = THEMES[theme]
    label_w = round(text_width(label)) + PADDING
    message_w = round(text_width(message)) + PADDING
    width = label_w + message_w
    # Texts are drawn at 10x and scaled down, as shields.io does, for sub-pixel placement.
    texts = format_html(
        "{}{}",
        *(
            format_html(
                '<text aria-hidden="true" x="{x}" y="150" fill="{shadow}" fill-opacity=".3" '
                'transform="scale(.1)" textLength="{length}">{text}</text>'
                '<text x="{x}" y="140" transform="scale(.1)" fill="{fill}" '
                'textLength="{length}">{text}</text>',
                x=round((left + box / 2) * 10),
                length=(box - PADDING) * 10,
                text=text,
                shadow=shadow,
                fill=text_fill,
            )
            for text, left, box in ((label, 0, label_w), (message, label_w, message_w))
        ),
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" '
        'aria-label="{title}"><title>{title}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        '<clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath>'
        '<g clip-path="url(#r)"><rect width="{lw}" height="20" fill="{label_fill}"/>'
        '<rect x="{lw}" width="{mw}" height="20" fill="{color}"/>'
        '<rect width="{w}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">{texts}</g></svg>',
        w=width,
        lw=label_w,
        mw=message_w,
        title=f"{label}: {message}",
        label_fill=label_fill,
        color=color,
        texts=texts,
    )


def _label(request: HttpRequest, service: StatusSummary | None, slug: str) -> str:
    label = request.GET.get("label", "").strip()[:LABEL_MAX]
    return label or (service.name if service else slug)[:LABEL_MAX]


def _message(service: StatusSummary | None) -> tuple[str, str, str]:
    if service is None:
        return NOT_FOUND
    return LEVELS.get(service.level, LEVELS[2])


@edge_read()
@require_safe
def badge_svg(request: HttpRequest, slug: str) -> HttpResponse:
    service = status_summary(slug=slug)
    message, color, _ = _message(service)
    theme = request.GET.get("theme") or request.GET.get("style") or "light"
    svg = badge_svg_text(
        label=_label(request, service, slug),
        message=message,
        color=color,
        theme=theme if theme in THEMES else "light",
    )
    response = HttpResponse(
        svg, content_type="image/svg+xml; charset=utf-8", status=200 if service else 404
    )
    # Opened on its own, an SVG is a document: let it run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return cacheable_anywhere(request, response)


@edge_read()
@require_safe
def badge_json(request: HttpRequest, slug: str) -> HttpResponse:
    """shields.io's endpoint schema (https://shields.io/badges/endpoint-badge)."""
    service = status_summary(slug=slug)
    message, _, color = _message(service)
    if service is not None and service.official is not None:
        with translation.override("en"):  # badges speak English, like shields.io's
            message = f"{message}; official: {service.official.label.lower()}"
    payload: dict[str, object] = {
        "schemaVersion": 1,
        "label": _label(request, service, slug),
        "message": message,
        "color": color,
    }
    if service is None:
        payload["isError"] = True
    return cacheable_anywhere(request, JsonResponse(payload, status=200 if service else 404))
