"""Middleware that only pages need, skipped on the machine-facing paths."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware


class PageLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware for pages only: the JSON API (the report intake above all,
    the hottest path) answers in English and skips choosing a language per request."""

    def process_request(self, request: HttpRequest) -> None:
        if not request.path_info.startswith("/api/"):
            super().process_request(request)

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info.startswith("/api/"):
            return response
        return super().process_response(request, response)
