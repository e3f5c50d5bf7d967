"""The company's own word: status pages polled per service, the incidents they announce, and
when each crowd incident was first acknowledged by one of them (the crowd's lead time).

A source row holds its configuration, its polling state (claimed by a conditional UPDATE of
`next_poll_at`, so one fetch per source per interval whatever the number of workers) and the
last status read from it; history lives in OfficialIncident.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outages.models import Incident, Service


class Indicator(models.TextChoices):
    """A page's overall state, in Statuspage's words (the other formats are mapped to them)."""

    NONE = "none", _("Operational")
    MAINTENANCE = "maintenance", _("Under maintenance")
    MINOR = "minor", _("Minor problems")
    MAJOR = "major", _("Major outage")
    CRITICAL = "critical", _("Critical outage")
    UNKNOWN = "unknown", _("Unknown")


# Worst first: a service with several sources shows its worst.
SEVERITY = {
    Indicator.UNKNOWN: 0,
    Indicator.NONE: 1,
    Indicator.MAINTENANCE: 2,
    Indicator.MINOR: 3,
    Indicator.MAJOR: 4,
    Indicator.CRITICAL: 5,
}
PROBLEM_INDICATORS = (Indicator.MINOR, Indicator.MAJOR, Indicator.CRITICAL)


class OfficialSource(models.Model):
    class Kind(models.TextChoices):
        STATUSPAGE = "statuspage", _("Atlassian Statuspage (/api/v2/summary.json)")
        FEED = "feed", _("RSS or Atom incident feed")
        INSTATUS = "instatus", _("Instatus (/summary.json)")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="official_sources")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    url = models.URLField(max_length=500, help_text=_("The JSON summary or the feed."))
    page_url = models.URLField(
        max_length=500, blank=True, help_text=_("The page people read (default: the URL).")
    )
    # Component names to narrow to ("Git Operations"); empty: the whole page.
    components = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=True)
    interval_seconds = models.PositiveIntegerField(default=120)
    # --- polling state
    next_poll_at = models.DateTimeField(default=timezone.now)
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=64, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    fetches = models.PositiveIntegerField(default=0)
    not_modified = models.PositiveIntegerField(default=0)  # 304 answers
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing = models.BooleanField(default=False)
    last_error = models.CharField(max_length=300, blank=True)
    # --- the last status read
    indicator = models.CharField(max_length=12, choices=Indicator.choices, default="unknown")
    description = models.CharField(max_length=200, blank=True)
    incident_title = models.CharField(max_length=300, blank=True)
    incident_url = models.URLField(max_length=500, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # the page's own last update

    class Meta:
        indexes = [models.Index(fields=["is_active", "next_poll_at"], name="official_due")]

    def __str__(self) -> str:
        return f"{self.service} ({self.get_kind_display()})"

    @property
    def link(self) -> str:
        """The page people read: the one set, else the JSON summary's own page (Statuspage's
        `/api/v2/summary.json` and Instatus's `/summary.json` sit under it), else the feed."""
        if self.page_url:
            return self.page_url
        for tail in ("/api/v2/summary.json", "/summary.json"):
            if self.kind != self.Kind.FEED and self.url.split("?")[0].endswith(tail):
                return self.url.split("?")[0].removesuffix(tail) + "/"
        return self.url


class OfficialIncident(models.Model):
    """One incident as the company announced it. `announced_at` is the page's own time
    (Statuspage's `created_at`, a feed entry's publication), `first_seen_at` when we read it."""

    source = models.ForeignKey(OfficialSource, on_delete=models.CASCADE, related_name="incidents")
    external_id = models.CharField(max_length=300)
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500, blank=True)
    impact = models.CharField(max_length=12, choices=Indicator.choices, default="unknown")
    announced_at = models.DateTimeField()
    first_seen_at = models.DateTimeField()
    updated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-announced_at"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="official_incident_once")
        ]
        indexes = [models.Index(fields=["source", "announced_at"], name="official_incident_at")]

    def __str__(self) -> str:
        return self.title


class Acknowledgement(models.Model):
    """When the company first acknowledged a crowd incident. `lead_seconds` is how long the
    crowd saw it first (negative when the company spoke before the reports rose)."""

    incident = models.OneToOneField(
        Incident, on_delete=models.CASCADE, primary_key=True, related_name="acknowledgement"
    )
    official_incident = models.ForeignKey(
        OfficialIncident, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    acknowledged_at = models.DateTimeField()
    lead_seconds = models.IntegerField()
