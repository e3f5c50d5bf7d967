"""The closed lists a report is tagged with. The API, the form, the buckets and the charts all
speak these values; labels are what people read."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    PROBLEM = "problem", _("Problem")
    WORKS = "works", _("Works for me")


class Platform(models.TextChoices):
    WEB = "web", _("Web")
    IOS = "ios", _("iOS app")
    ANDROID = "android", _("Android app")
    DESKTOP = "desktop", _("Desktop app")
    API = "api", _("API")
    OTHER = "other", _("Other")


class Problem(models.TextChoices):
    LOGIN = "login", _("Login")
    LOADING = "loading", _("Loading / feed")
    POSTING = "posting", _("Posting")
    MESSAGING = "messaging", _("Messaging")
    CONNECTION = "connection", _("Connection")
    NOTIFICATIONS = "notifications", _("Notifications")
    PAYMENTS = "payments", _("Payments")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    SITE = "site", _("Site")
    WIDGET = "widget", _("Widget")
    API = "api", _("API")


class Category(models.TextChoices):
    SOCIAL = "social", _("Social media")
    MESSAGING = "messaging", _("Messaging")
    STREAMING = "streaming", _("Streaming")
    GAMING = "gaming", _("Gaming")
    CLOUD = "cloud", _("Cloud and hosting")
    FINANCE = "finance", _("Banking and payments")
    TELECOM = "telecom", _("Telecom and internet")
    PRODUCTIVITY = "productivity", _("Productivity")
    OTHER = "other", _("Other")
