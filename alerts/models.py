"""Subscriptions to a service's incidents, and one Delivery row per (outbox event, subscription).

The Delivery's unique pair is what makes fan-out and redelivery harmless: a worker killed
mid-send leaves a row to be retried under the same webhook-id, never a second row.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from outages.models import IncidentEvent, Service
from outages.vocabulary import Platform, Problem


class Subscription(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class Format(models.TextChoices):
        STANDARD = "standard", _("Standard Webhooks JSON")
        SLACK = "slack", _("Slack")
        DISCORD = "discord", _("Discord")
        TEAMS = "teams", _("Microsoft Teams")
        TELEGRAM = "telegram", _("Telegram bot")
        NTFY = "ntfy", _("ntfy")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused after repeated failures")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    class Level(models.IntegerChoices):
        POSSIBLE = 1, _("Possible problems")
        PROBLEMS = 2, _("Problems")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="subscriptions")
    # Optional narrowing: "" means any.
    platform = models.CharField(max_length=8, choices=Platform.choices, blank=True)
    problem = models.CharField(max_length=16, choices=Problem.choices, blank=True)
    country = models.CharField(max_length=2, blank=True)
    min_level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.POSSIBLE)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    email = models.EmailField(blank=True)  # the address alerts go to, or a webhook's contact
    url = models.URLField(max_length=500, blank=True)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.STANDARD)
    language = models.CharField(max_length=8, default="en")
    daily_digest = models.BooleanField(default=False)
    # Only incidents the company has not acknowledged (the early warning): none once its
    # status page reports problems or has announced this incident.
    only_unacknowledged = models.BooleanField(default=False)
    # Standard Webhooks secrets ("whsec_" + base64). During a rotation both sign.
    secret = models.CharField(max_length=80, blank=True)
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)  # sha256 of the management token
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the mail server took the confirmation e-mail; None while it is still to be sent.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    digest_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["service", "state"], name="alerts_sub_service_state")]

    def __str__(self) -> str:
        target = self.email if self.channel == self.Channel.EMAIL else self.url
        return f"{self.service_id} -> {self.channel}:{target}"

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")  # cooldown, pause or unsubscribe

    event = models.ForeignKey(IncidentEvent, on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)  # the sending lease
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)  # last error, or why skipped
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="alerts_delivery_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="alerts_delivery_due"),
            models.Index(fields=["subscription", "-created_at"], name="alerts_delivery_log"),
        ]

    @property
    def message_id(self) -> str:
        """The webhook-id: stable per (event, subscription), the same on every retry."""
        return f"msg_{self.event_id}_{self.subscription_id}"


class ConfirmationRequest(models.Model):
    """One confirmation e-mail asked for: what the daily caps count, per address and per
    requester. Kept apart from the subscription, so that deleting a pending subscription with
    its token does not give its place back. Keyed hashes only; deleted after a day."""

    # Keyed hash of the normalised address (lower case, without its +tag).
    address_key = models.CharField(max_length=64)
    # The requester's reporter fingerprint (reports' keyed hash with a daily salt), if known.
    requester = models.CharField(max_length=32, blank=True)
    # None once deleted: it still counts (only a confirmed subscription stops counting).
    subscription = models.ForeignKey(
        Subscription, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["address_key", "created_at"], name="alerts_confirm_address"),
            models.Index(fields=["requester", "created_at"], name="alerts_confirm_requester"),
            models.Index(fields=["created_at"], name="alerts_confirm_created"),
        ]
