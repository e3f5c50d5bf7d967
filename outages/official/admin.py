from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin

from outages.official.models import OfficialIncident, OfficialSource
from outages.official.services.sources import source_errors


class OfficialSourceForm(forms.ModelForm[OfficialSource]):
    url = forms.URLField(max_length=500, assume_scheme="https")
    page_url = forms.URLField(max_length=500, required=False, assume_scheme="https")

    class Meta:
        model = OfficialSource
        fields = [
            "service",
            "kind",
            "url",
            "page_url",
            "components",
            "interval_seconds",
            "is_active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        errors = source_errors(
            kind=data.get("kind", ""),
            url=data.get("url", ""),
            components=data.get("components") or [],
            interval=data.get("interval_seconds") or 0,
        )
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return data


@admin.register(OfficialSource)
class OfficialSourceAdmin(admin.ModelAdmin[OfficialSource]):
    form = OfficialSourceForm
    list_display = ["service", "kind", "url", "indicator", "failing", "last_error", "polled_at"]
    list_filter = ["kind", "failing", "indicator", "is_active"]
    search_fields = ["service__name", "url"]
    readonly_fields = [
        "indicator",
        "description",
        "incident_title",
        "incident_url",
        "updated_at",
        "polled_at",
        "succeeded_at",
        "fetches",
        "not_modified",
        "consecutive_failures",
        "failing",
        "last_error",
        "etag",
        "last_modified",
        "next_poll_at",
    ]


@admin.register(OfficialIncident)
class OfficialIncidentAdmin(admin.ModelAdmin[OfficialIncident]):
    list_display = ["title", "source", "impact", "announced_at", "resolved_at"]
    list_filter = ["impact"]
    search_fields = ["title"]
    readonly_fields = [
        "source",
        "external_id",
        "title",
        "url",
        "impact",
        "announced_at",
        "first_seen_at",
        "updated_at",
        "resolved_at",
    ]
