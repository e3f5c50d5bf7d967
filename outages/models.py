"""Services and their per-minute report counts. Raw reports live in the reports app."""

from __future__ import annotations

from django.db import models

from outages.vocabulary import Category, Kind, Platform, Problem, problems_of


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

    @property
    def problem_types(self) -> list[str]:
        """The problem types its reports may carry: its category's, in button order."""
        return [problem.value for problem in problems_of(self.category)]


class ServiceAlias(models.Model):
    """Another name people search for ("X" for Twitter). Stored lower-case."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="aliases")
    alias = models.CharField(max_length=120, unique=True)

    class Meta:
        verbose_name_plural = "service aliases"  # Django's default reads "service aliass"

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


class Dimension(models.TextChoices):
    """Which slice of a service's reports a series counts: all of them, or one segment."""

    ALL = "", "All reports"
    PLATFORM = "platform", "Platform"
    COUNTRY = "country", "Country"


class SeriesBaseline(models.Model):
    """The fitted baseline of one series (outages.detection.Baseline, one row of it).

    The weekly profile and the dispersion/tail parameters are packed as little-endian floats
    (a few KB), so a detection pass over every series reads them in one query.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    dimension = models.CharField(max_length=8, choices=Dimension.choices, blank=True)
    value = models.CharField(max_length=8, blank=True)  # platform or country; "" for ALL
    level = models.FloatField()  # expected reports per minute where the profile is 1
    share = models.FloatField(default=1.0)  # the segment's usual share of the service's reports
    profile = models.BinaryField()  # float32 per slot of the week
    params = models.BinaryField()  # float64: dispersion, tail_rate, tail_scale, bin_dispersion
    fitted_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "dimension", "value"], name="series_baseline_unique"
            )
        ]


class SeriesState(models.Model):
    """The incident state machine of one series, kept only while it is not at rest (an incident
    open, a rise pending, or the cool-down after a close)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+", db_index=False)
    dimension = models.CharField(max_length=8, choices=Dimension.choices, blank=True)
    value = models.CharField(max_length=8, blank=True)
    state = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "dimension", "value"], name="series_state_unique"
            )
        ]


class DetectionCursor(models.Model):
    """The last minute a shard of the detection pass has scored: a repeated or redelivered
    pass for that minute does nothing."""

    shard = models.CharField(max_length=16, primary_key=True)  # "index/count"
    minute = models.DateTimeField()


class Cascade(models.Model):
    """Several services' incidents opening in the same minutes: possibly one upstream cause."""

    started_at = models.DateTimeField()

    class Meta:
        ordering = ["-started_at"]


class Incident(models.Model):
    """One incident of one series of a service, with the figures that tell its story.

    Figures (peak, totals, shares, countries, scope) are recomputed from the buckets every
    minute while it is open, and once more when it closes.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        # Raised by too few reporters, one network or one embedding origin: for moderators.
        SUSPICIOUS = "suspicious", "Suspicious"
        # Withdrawn by a moderator (dismissed, or raised only by a voided burst): off the
        # public pages, kept for the record.
        RETRACTED = "retracted", "Retracted"

    class Review(models.TextChoices):
        UNREVIEWED = "unreviewed", "Not reviewed"
        CONFIRMED = "confirmed", "Confirmed"
        DISMISSED = "dismissed", "Dismissed"

    class Scope(models.TextChoices):
        ONE = "one", "One country"
        SEVERAL = "several", "Several countries"
        INTERNATIONAL = "international", "International"

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="incidents")
    dimension = models.CharField(max_length=8, choices=Dimension.choices, blank=True)
    value = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    level = models.PositiveSmallIntegerField()  # 1 possible problems, 2 problems
    started_at = models.DateTimeField()  # the first raised minute
    detected_at = models.DateTimeField()  # the minute that opened it
    ended_at = models.DateTimeField(null=True, blank=True)
    recovering_at = models.DateTimeField(null=True, blank=True)  # "works for me" took over
    peak_at = models.DateTimeField()
    peak_count = models.PositiveIntegerField(default=0)  # reports in the peak minute
    peak_quarter_at = models.DateTimeField(null=True, blank=True)  # middle of the peak 15 min
    peak_quarter_count = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)  # problem reports from start to end (or now)
    expected_total = models.FloatField(default=0.0)  # what the baseline expected meanwhile
    works_total = models.PositiveIntegerField(default=0)  # "works for me" meanwhile
    confidence = models.FloatField(default=1.0)  # lowered by "works for me" in small spikes
    platforms = models.JSONField(default=dict)  # {platform: share}
    problems = models.JSONField(default=dict)  # {problem: share}
    countries = models.JSONField(default=list)  # [{country, count, expected, ratio}]
    scope = models.CharField(max_length=16, choices=Scope.choices, blank=True)
    # "platform:ios" or "country:FR" when nearly all the excess is there ("iOS app only").
    only = models.CharField(max_length=20, blank=True)
    diversity = models.JSONField(default=dict)  # reporters, networks, top shares at the check
    review = models.CharField(max_length=12, choices=Review.choices, default=Review.UNREVIEWED)
    public_note = models.TextField(blank=True)  # a moderator's note, shown on the public pages
    retracted_at = models.DateTimeField(null=True, blank=True)
    cascade = models.ForeignKey(
        Cascade, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "dimension", "value", "started_at"], name="incident_unique"
            )
        ]
        indexes = [models.Index(fields=["status", "service"], name="incident_open")]

    def __str__(self) -> str:
        return f"{self.service} since {self.started_at:%Y-%m-%d %H:%M} UTC"

    @property
    def segment(self) -> str:
        """ "" for the whole service, else e.g. "platform:ios" or "country:FR"."""
        return f"{self.dimension}:{self.value}" if self.dimension else ""


class IncidentEvent(models.Model):
    """Outbox of incident transitions for alert delivery: each recorded exactly once (its key
    is unique and derived from the incident and the transition, so a repeated pass cannot
    record it again)."""

    class Kind(models.TextChoices):
        OPEN = "open", "Opened"
        LEVEL = "level", "Level rose"
        CLOSE = "close", "Closed"
        RETRACT = "retract", "Retracted"  # a moderator withdrew an announced incident

    key = models.CharField(max_length=80, unique=True)
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    level = models.PositiveSmallIntegerField()
    at = models.DateTimeField()  # the minute that caused it
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["delivered_at", "id"], name="event_undelivered")]


class ServiceStatus(models.Model):
    """Each service's summary, written by the detection pass every minute so that lists (home,
    widgets) never compute it per request: public incident level, the last 15 minutes of
    problem reports against the baseline, and a 24-hour sparkline of 15-minute counts."""

    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, primary_key=True, related_name="status"
    )
    minute = models.DateTimeField()  # the last minute scored that changed the row
    level = models.PositiveSmallIntegerField(default=0)
    recent = models.PositiveIntegerField(default=0)
    expected = models.FloatField(default=0.0)
    deviation = models.FloatField(default=0.0)  # (recent - expected) / sd: how unusual, ranked
    sparkline = models.JSONField(default=list)  # 96 quarter-hour counts, oldest first
    sparkline_end = models.DateTimeField(null=True)  # start of the last quarter in it

    class Meta:
        indexes = [models.Index(fields=["-level", "-deviation"], name="status_rank")]
