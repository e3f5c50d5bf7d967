"""The demo catalogue: well-known services with their aliases, category and typical volume."""
# ruff: noqa: E501  (one service per line reads best as a table)

from __future__ import annotations

from dataclasses import dataclass

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
    DemoService("facebook", "Facebook", Category.SOCIAL, "https://facebook.com", ("fb", "meta"), 5.0),
    DemoService("instagram", "Instagram", Category.SOCIAL, "https://instagram.com", ("insta", "ig"), 4.0),
    DemoService("whatsapp", "WhatsApp", Category.MESSAGING, "https://whatsapp.com", ("whats app",), 5.0),
    DemoService("youtube", "YouTube", Category.STREAMING, "https://youtube.com", ("yt",), 4.0),
    DemoService("netflix", "Netflix", Category.STREAMING, "https://netflix.com", (), 2.0),
    DemoService("spotify", "Spotify", Category.STREAMING, "https://spotify.com", (), 2.0),
    DemoService("discord", "Discord", Category.MESSAGING, "https://discord.com", (), 2.0),
    DemoService("telegram", "Telegram", Category.MESSAGING, "https://telegram.org", (), 1.0),
    DemoService("tiktok", "TikTok", Category.SOCIAL, "https://tiktok.com", ("tik tok",), 2.5),
    DemoService("reddit", "Reddit", Category.SOCIAL, "https://reddit.com", (), 1.5),
    DemoService("gmail", "Gmail", Category.PRODUCTIVITY, "https://mail.google.com", ("google mail",), 2.0),
    DemoService("outlook", "Outlook", Category.PRODUCTIVITY, "https://outlook.com", ("hotmail",), 1.5),
    DemoService("microsoft-teams", "Microsoft Teams", Category.PRODUCTIVITY, "https://teams.microsoft.com", ("teams",), 1.5),
    DemoService("zoom", "Zoom", Category.PRODUCTIVITY, "https://zoom.us", (), 1.0),
    DemoService("aws", "Amazon Web Services", Category.CLOUD, "https://aws.amazon.com", ("amazon web services", "amazon aws"), 0.8),
    DemoService("cloudflare", "Cloudflare", Category.CLOUD, "https://cloudflare.com", (), 0.5),
    DemoService("github", "GitHub", Category.CLOUD, "https://github.com", (), 0.6),
    DemoService("paypal", "PayPal", Category.FINANCE, "https://paypal.com", (), 0.8),
    DemoService("steam", "Steam", Category.GAMING, "https://store.steampowered.com", (), 1.2),
    DemoService("playstation-network", "PlayStation Network", Category.GAMING, "https://playstation.com", ("psn",), 1.2),
)  # fmt: skip
