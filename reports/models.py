"""Raw reports and the daily salts their fingerprints are keyed with. No raw IP is stored."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from outages.models import Service
from outages.vocabulary import Kind, Platform, Problem, Source


class Report(models.Model):
    """One raw report. On PostgreSQL the table is partitioned by UTC day of `received_at`
    (reports/partitions.py, migration 0007), and its real primary key is (id, received_at): a
    partitioned table's keys must hold the partition key. Django is told `id` alone, which is
    what every query by id needs; the id's uniqueness is kept by ReportIdLedger."""

    # Client-suppliable, which makes a retried POST idempotent (ReportIdLedger).
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
    # Keyed hash (same daily salt) of the User-Agent header: groups one script's or one
    # browser build's reports for bursts; the raw header is never stored.
    agent = models.CharField(max_length=32, blank=True, default="")
    # False for a repeat within the dedupe window: kept for its details, never counted.
    counted = models.BooleanField(default=True)
    # Set while a moderator's void of a suspicious burst removes it from every series.
    void = models.ForeignKey(
        "BurstVoid",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="reports",
        db_index=False,
    )

    class Meta:
        indexes = [
            models.Index(fields=["service", "received_at"], name="report_service_time"),
            # Only voided reports are indexed: undo finds them without scanning the rest.
            models.Index(fields=["void"], name="report_void", condition=Q(void__isnull=False)),
        ]


class ReportIdLedger(models.Model):
    """The ids of the reports stored in the last REPORT_ID_LEDGER_HOURS, one row each: what
    makes a report id stored (and counted) once. Every store inserts the id here first (ON
    CONFLICT DO NOTHING) and stores only the reports whose id was new, in one transaction.

    The reports table cannot do it on PostgreSQL: partitioned by day, its key is (id,
    received_at), and one id can arrive with two times. A retry that the database fallback
    takes while Redis is down gets a new received_at, and the drain later brings the first
    attempt from the stream with the old one. Redis's `intake:id` key stops other retries
    for INTAKE_IDEMPOTENCY_HOURS; this table must outlive it and the longest drain backlog.
    Unpartitioned and narrow, pruned by the hourly partition job."""

    id = models.UUIDField(primary_key=True)
    # A B-tree, not BRIN: the table is a queue (deleted at one end, its space reused at the
    # other), which widens BRIN ranges until they select everything.
    received_at = models.DateTimeField(db_index=True)


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


class BurstKind(models.TextChoices):
    """The keys a burst is grouped by (reports.bursts.finder.KINDS), and their Report fields."""

    FINGERPRINT = "fingerprint", "One reporter"
    NETWORK = "network", "One network"
    AGENT = "agent", "One user agent"
    ORIGIN = "origin", "One embedding site"


def burst_key_label(kind: str, key: str) -> str:
    """A burst's key as a moderator reads and compares it: the kind, then an embedding site's
    address whole, or a hash's first 8 characters (enough to tell a day's keys apart; the
    whole key stays in the void's criteria)."""
    shown = key[:60] if kind == BurstKind.ORIGIN else key[:8]
    return f"{BurstKind(kind).label} {shown}" if kind in BurstKind.values else shown


class BurstVoid(models.Model):
    """A moderator's void of a suspicious burst: the criteria (service, key, window), the
    counted reports it took out of the series (Report.void), and what it did to incidents.
    Undone, it stays for the record; a new void of the same criteria is a new row."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=BurstKind.choices)
    key = models.CharField(max_length=200)
    start = models.DateTimeField()
    end = models.DateTimeField()  # exclusive
    size = models.PositiveIntegerField(default=0)  # counted reports voided
    total = models.PositiveIntegerField(default=0)  # the service's counted reports in the window
    # Incidents this void retracted: [{"id", "visibility" before, "at"}], restored on undo.
    retracted = models.JSONField(default=list, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    voided_at = models.DateTimeField()
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-voided_at", "-id"]
        permissions = [("void_burst", "Can void a suspicious burst of reports and undo it")]
        constraints = [
            # One active void per criteria: voiding twice (two clicks, two moderators) is one.
            models.UniqueConstraint(
                fields=["service", "kind", "key", "start", "end"],
                condition=Q(undone_at__isnull=True),
                name="burst_void_active_unique",
            )
        ]

    def __str__(self) -> str:
        # The audit log's label: the key as moderators read it, the service and the window.
        return (
            f"{self.key_label} on {self.service.name},"
            f" {self.start:%Y-%m-%d %H:%M}-{self.end:%H:%M} UTC"
        )

    @property
    def is_active(self) -> bool:
        return self.undone_at is None

    @property
    def key_label(self) -> str:
        return burst_key_label(self.kind, self.key)


class SimulationAnchor(models.Model):
    """When the live demo first sent traffic (one row, demo only). Its outage schedule
    (outages.demo_outages) counts from here, so every worker process and every restart keeps
    the same schedule."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    started_at = models.DateTimeField()
