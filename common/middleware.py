"""Middleware that only pages need, skipped on the machine-facing paths."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase
from django.middleware.locale import LocaleMiddleware

# Machine-facing paths: the JSON API, and the embeddable reads (they take their language from
# a `lang` parameter, if at all, so that one cached answer serves every visitor).
MACHINE_PREFIXES = ("/api/", "/badge/", "/embed/", "/widget.js")
MACHINE_SUFFIXES = ("/series.csv", "/series.json")


def is_machine_path(path: str) -> bool:
    return path.startswith(MACHINE_PREFIXES) or path.endswith(MACHINE_SUFFIXES)


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware for pages only: the JSON API (the report intake above all,
    the hottest path) and the widget, badge and series reads answer in English (or their
    `lang`) and skip choosing a language per request (and its Vary: Accept-Language)."""

    def process_request(self, request: HttpRequest) -> None:
        if not is_machine_path(request.path_info):
            super().process_request(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if is_machine_path(request.path_info):
            return response
        return super().process_response(request, response)
