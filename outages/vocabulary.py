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
    """Every problem type of every category, one key and one label each. A key is stored in
    reports, buckets and subscriptions: never rename one, add a new key instead."""

    LOGIN = "login", _("Login")
    LOADING = "loading", _("Loading / feed")
    POSTING = "posting", _("Posting")
    MESSAGING = "messaging", _("Messaging")
    CONNECTION = "connection", _("Connection")
    NOTIFICATIONS = "notifications", _("Notifications")
    PAYMENTS = "payments", _("Payments")
    WEBSITE = "website", _("Website")
    APP = "app", _("App")
    CALLS = "calls", _("Calls")
    PLAYBACK = "playback", _("Playback")
    SERVERS = "servers", _("Game servers")
    MATCHMAKING = "matchmaking", _("Matchmaking")
    STORE = "store", _("Store")
    DOWNLOADS = "downloads", _("Downloads / updates")
    API = "api", _("API")
    CONSOLE = "console", _("Console / dashboard")
    DNS = "dns", _("DNS")
    HOSTING = "hosting", _("Hosted sites")
    DEPLOYMENTS = "deployments", _("Deployments")
    CARD = "card", _("Card")
    TRANSFERS = "transfers", _("Transfers")
    INTERNET = "internet", _("Internet")
    MOBILE = "mobile", _("Mobile network")
    TV = "tv", _("TV")
    EMAIL = "email", _("E-mail")
    FILES = "files", _("Files")
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


# The problem types a service of each category offers, in the order of its report buttons
# (the most common first); "other" ends every list. Intake accepts only these for the service.
PROBLEMS_BY_CATEGORY: dict[str, tuple[Problem, ...]] = {
    Category.SOCIAL: (
        Problem.LOGIN,
        Problem.LOADING,
        Problem.POSTING,
        Problem.MESSAGING,
        Problem.NOTIFICATIONS,
        Problem.CONNECTION,
        Problem.OTHER,
    ),
    Category.MESSAGING: (
        Problem.MESSAGING,
        Problem.CONNECTION,
        Problem.CALLS,
        Problem.LOGIN,
        Problem.NOTIFICATIONS,
        Problem.OTHER,
    ),
    Category.STREAMING: (
        Problem.PLAYBACK,
        Problem.LOGIN,
        Problem.WEBSITE,
        Problem.APP,
        Problem.CONNECTION,
        Problem.OTHER,
    ),
    Category.GAMING: (
        Problem.SERVERS,
        Problem.LOGIN,
        Problem.MATCHMAKING,
        Problem.CONNECTION,
        Problem.STORE,
        Problem.DOWNLOADS,
        Problem.OTHER,
    ),
    Category.CLOUD: (
        Problem.API,
        Problem.CONSOLE,
        Problem.DNS,
        Problem.HOSTING,
        Problem.DEPLOYMENTS,
        Problem.LOGIN,
        Problem.OTHER,
    ),
    Category.FINANCE: (
        Problem.LOGIN,
        Problem.PAYMENTS,
        Problem.CARD,
        Problem.TRANSFERS,
        Problem.APP,
        Problem.WEBSITE,
        Problem.OTHER,
    ),
    Category.TELECOM: (Problem.INTERNET, Problem.MOBILE, Problem.CALLS, Problem.TV, Problem.OTHER),
    Category.PRODUCTIVITY: (
        Problem.LOGIN,
        Problem.EMAIL,
        Problem.MESSAGING,
        Problem.CALLS,
        Problem.FILES,
        Problem.CONNECTION,
        Problem.OTHER,
    ),
    Category.OTHER: (
        Problem.LOGIN,
        Problem.WEBSITE,
        Problem.APP,
        Problem.CONNECTION,
        Problem.OTHER,
    ),
}


def problems_of(category: str) -> tuple[Problem, ...]:
    """The problem types of a category; an unknown category has those of "other"."""
    return PROBLEMS_BY_CATEGORY.get(category, PROBLEMS_BY_CATEGORY[Category.OTHER])
