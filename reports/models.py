"""Raw reports and the daily salts their fingerprints are keyed with. No raw IP is stored."""

from __future__ import annotations

import uuid

from django.db import models

from outages.models import Service
from outages.vocabulary import Kind, Platform, Problem, Source


class Report(models.Model):
    # Client-suppliable, which makes a retried POST idempotent.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    # No index of its own: report_service_time starts with it.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=8, choices=Kind.choices)
    platform = models.CharField(max_length=8, choices=Platform.choices)
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    country = models.CharField(max_length=2, blank=True)
    subdivision = models.CharField(max_length=6, blank=True)  # ISO 3166-2, e.g. "FR-IDF"
    source = models.CharField(max_length=8, choices=Source.choices)
    origin = models.CharField(max_length=200, blank=True)  # embedding site, for widget reports
    received_at = models.DateTimeField()
    # Keyed hashes (daily salt) of the reporter and of their network prefix: they group one
    # person's or one network's reports for a day and cannot be reversed once the salt is gone.
    fingerprint = models.CharField(max_length=32)
    network = models.CharField(max_length=32)
    # False for a repeat within the dedupe window: kept for its details, never counted.
    counted = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["service", "received_at"], name="report_service_time"),
        ]


class Salt(models.Model):
    """The secret of one UTC day. Rotated daily, destroyed after 48 hours."""

    day = models.DateField(primary_key=True)
    secret = models.BinaryField(max_length=32)


class IntakeKey(models.Model):
    """A rate-limit or dedupe counter of the database buffer (RedisBuffer keeps these in Redis
    as keys with a TTL); `intake_keys_expire` deletes the expired ones."""

    key = models.CharField(max_length=120, primary_key=True)
    count = models.PositiveIntegerField()
    expires_at = models.DateTimeField(db_index=True)
