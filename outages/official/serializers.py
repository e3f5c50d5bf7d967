"""The official status as the API shows it (status API `official`, incidents' `acknowledgement`)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from outages.official.models import Acknowledgement, Indicator


class OfficialStatusSerializer(serializers.Serializer[Any]):
    indicator = serializers.ChoiceField(Indicator.choices)
    label = serializers.CharField()  # type: ignore[assignment]
    description = serializers.CharField(allow_blank=True)
    incident_title = serializers.CharField(allow_blank=True)
    incident_url = serializers.URLField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True, help_text="The page's own last update")
    polled_at = serializers.DateTimeField(allow_null=True)
    link = serializers.URLField()
    failing = serializers.BooleanField(help_text="The page could not be read lately")
    acknowledged_at = serializers.DateTimeField(
        allow_null=True, help_text="When the company acknowledged the open crowd incident"
    )
    lead_seconds = serializers.IntegerField(
        allow_null=True, help_text="How long users' reports came first (negative: the company)"
    )
    sentence = serializers.CharField(help_text="The crowd's and the company's word, together")


class AcknowledgementSerializer(serializers.ModelSerializer[Acknowledgement]):
    title = serializers.CharField(source="official_incident.title")
    url = serializers.CharField(source="official_incident.url")

    class Meta:
        model = Acknowledgement
        fields = ["acknowledged_at", "lead_seconds", "title", "url"]
