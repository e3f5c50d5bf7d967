"""Services and their per-minute report counts. Raw reports live in the reports app."""

from __future__ import annotations

from django.db import models

from outages.vocabulary import Category, Kind, Platform, Problem


class Service(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=120)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    url = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceAlias(models.Model):
    """Another name people search for ("X" for Twitter). Stored lower-case."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=120, unique=True)

    def __str__(self) -> str:
        return self.alias

    def clean(self) -> None:
        self.alias = self.alias.strip().lower()


class MinuteBucket(models.Model):
    """Reports counted in one minute, labelled by the minute's start (UTC).

    Written only by outages.services.buckets, which adds to `count` for reports really inserted,
    so a bucket always equals the number of its counted raw reports.
    """

    # No index of its own: the unique key starts with it.
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.DateTimeField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    platform = models.CharField(max_length=8, choices=Platform.choices)
    # Empty for "works for me" reports, which carry no problem type.
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    # ISO 3166-1 alpha-2; empty when the reporter's country is unknown.
    country = models.CharField(max_length=2, blank=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "minute", "kind", "platform", "problem", "country"],
                name="bucket_unique_key",
            )
        ]
        # The unique key's index serves per-service range reads (service, minute, ...);
        # this one serves the all-services detection pass over recent minutes.
        indexes = [models.Index(fields=["minute"], name="bucket_minute")]
