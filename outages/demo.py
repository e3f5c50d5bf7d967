"""The demo catalogue: well-known services with their aliases, category and typical volume."""
# ruff: noqa: E501  (one service per line reads best as a table)

from __future__ import annotations

from dataclasses import dataclass

from outages.detection import synthetic as syn
from outages.detection.synthetic import Audience, Mix
from outages.vocabulary import Category


@dataclass(frozen=True)
class DemoService:
    slug: str
    name: str
    category: Category
    url: str
    aliases: tuple[str, ...]
    # Typical problem reports per minute at the daily peak; sets the demo's scale.
    peak_per_minute: float


DEMO_SERVICES = (
    DemoService("twitter", "Twitter", Category.SOCIAL, "https://twitter.com", ("x", "x.com"), 6.0),
    DemoService(
        "facebook", "Facebook", Category.SOCIAL, "https://facebook.com", ("fb", "meta"), 5.0
    ),
    DemoService(
        "instagram", "Instagram", Category.SOCIAL, "https://instagram.com", ("insta", "ig"), 4.0
    ),
    DemoService(
        "whatsapp", "WhatsApp", Category.MESSAGING, "https://whatsapp.com", ("whats app",), 5.0
    ),
    DemoService("youtube", "YouTube", Category.STREAMING, "https://youtube.com", ("yt",), 4.0),
    DemoService("netflix", "Netflix", Category.STREAMING, "https://netflix.com", (), 2.0),
    DemoService("spotify", "Spotify", Category.STREAMING, "https://spotify.com", (), 2.0),
    DemoService("discord", "Discord", Category.MESSAGING, "https://discord.com", (), 2.0),
    DemoService("telegram", "Telegram", Category.MESSAGING, "https://telegram.org", (), 1.0),
    DemoService("tiktok", "TikTok", Category.SOCIAL, "https://tiktok.com", ("tik tok",), 2.5),
    DemoService("reddit", "Reddit", Category.SOCIAL, "https://reddit.com", (), 1.5),
    DemoService(
        "gmail", "Gmail", Category.PRODUCTIVITY, "https://mail.google.com", ("google mail",), 2.0
    ),
    DemoService(
        "outlook", "Outlook", Category.PRODUCTIVITY, "https://outlook.com", ("hotmail",), 1.5
    ),
    DemoService(
        "microsoft-teams",
        "Microsoft Teams",
        Category.PRODUCTIVITY,
        "https://teams.microsoft.com",
        ("teams",),
        1.5,
    ),
    DemoService("zoom", "Zoom", Category.PRODUCTIVITY, "https://zoom.us", (), 1.0),
    DemoService(
        "aws",
        "Amazon Web Services",
        Category.CLOUD,
        "https://aws.amazon.com",
        ("amazon web services", "amazon aws"),
        0.8,
    ),
    DemoService("cloudflare", "Cloudflare", Category.CLOUD, "https://cloudflare.com", (), 0.5),
    DemoService("github", "GitHub", Category.CLOUD, "https://github.com", (), 0.6),
    DemoService("paypal", "PayPal", Category.FINANCE, "https://paypal.com", (), 0.8),
    DemoService("steam", "Steam", Category.GAMING, "https://store.steampowered.com", (), 1.2),
    DemoService(
        "playstation-network",
        "PlayStation Network",
        Category.GAMING,
        "https://playstation.com",
        ("psn",),
        1.2,
    ),
)


# Services that go down with another: customers of a cloud provider, apps on a parent
# company's shared platform. The demo's cascades (outages.demo_outages) spread along these.
DEPENDENTS = {
    "aws": ("netflix", "reddit", "zoom", "paypal", "steam"),
    "cloudflare": ("discord", "spotify", "reddit", "github"),
    "facebook": ("instagram", "whatsapp"),
    "outlook": ("microsoft-teams",),
    "gmail": ("youtube",),
}

_PEAKS = {entry.slug: entry.peak_per_minute for entry in DEMO_SERVICES}
_COUNTRIES = {
    "twitter": Mix.of(
        US=32,
        JP=14,
        GB=9,
        IN=6,
        BR=4,
        FR=4,
        ES=4,
        DE=3,
        CA=3,
        MX=3,
        TR=3,
        ID=3,
        SA=3,
        KR=2,
        PH=2,
        AR=2,
        AU=2,
    ),
    "whatsapp": Mix.of(
        IN=18,
        BR=14,
        US=10,
        MX=6,
        GB=6,
        DE=5,
        ES=5,
        IT=5,
        ID=5,
        TR=4,
        AR=4,
        NG=3,
        ZA=3,
        SA=3,
        FR=3,
        CO=2,
        NL=2,
    ),
    "telegram": Mix.of(RU=20, IN=12, US=8, ID=8, BR=6, DE=5, TR=5, AE=4, GB=4, ES=3, IT=3, PL=2),
    "playstation-network": Mix.of(
        US=35, JP=12, GB=10, FR=6, DE=6, ES=4, IT=4, BR=4, CA=4, MX=3, AU=3, SA=2
    ),
}
_WEEKEND = {
    "social": 1.1,
    "streaming": 1.2,
    "gaming": 1.3,
    "cloud": 0.5,
    "finance": 0.85,
    "productivity": 0.35,
}
_OFFICE_HOURS = frozenset({"cloud", "productivity"})


@dataclass(frozen=True)
class Profile:
    """How much, from where and about what a service's users report on a normal week."""

    peak_per_minute: float
    audience: Audience
    platforms: Mix
    problems: Mix
    works_share: float = 0.06  # "works for me" reports per problem report

    @property
    def countries(self) -> Mix:
        return self.audience.countries


def service_profile(*, slug: str, category: str) -> Profile:
    audience = Audience(
        _COUNTRIES.get(slug, syn.COUNTRIES),
        shape="office" if category in _OFFICE_HOURS else "evening",
        weekend_factor=_WEEKEND.get(category, 1.0),
    )
    return Profile(
        peak_per_minute=_PEAKS.get(slug, 0.5),
        audience=audience,
        platforms=syn.PLATFORMS.get(category, syn.DEFAULT_PLATFORMS),
        problems=syn.PROBLEMS.get(category, syn.DEFAULT_PROBLEMS),
    )
