"""The one shape every status format is read into (outages/official/formats.py and
feed_format.py), and the small readers they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

PROBLEMS = ("minor", "major", "critical")
RANK = {"unknown": 0, "none": 1, "maintenance": 2, "minor": 3, "major": 4, "critical": 5}


class BadPayload(ValueError):
    """The answer is not a payload of the expected format; the message says why."""


@dataclass(frozen=True)
class Item:
    """One incident as the page announced it."""

    external_id: str
    title: str
    url: str
    impact: str
    announced_at: datetime
    updated_at: datetime | None = None
    resolved: bool = False


@dataclass(frozen=True)
class Snapshot:
    indicator: str
    description: str
    updated_at: datetime | None
    items: tuple[Item, ...] = field(default=())
    # Statuspage and Instatus list only unresolved incidents: one missing now is resolved.
    lists_unresolved_only: bool = True

    @property
    def current(self) -> Item | None:
        """The most recent unresolved incident, the one to show."""
        live = [item for item in self.items if not item.resolved]
        return max(live, key=lambda item: item.announced_at) if live else None


def looks_like_html(body: bytes, content_type: str) -> bool:
    """An error page or a login wall where a payload was expected."""
    head = body.lstrip()[:64].lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype html", b"<html"))


def when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def text(value: object, limit: int = 300) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def dicts(value: object) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []
