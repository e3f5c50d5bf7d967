"""Status payloads read into one shape (no Django, no network): numbers and words in, a
Snapshot out, or BadPayload with the reason an administrator will read.

- Atlassian Statuspage `/api/v2/summary.json`: `status.indicator`, `components[]`, and the
  unresolved `incidents[]` (GitHub, Discord, Reddit, Zoom, Cloudflare...; incident.io pages
  serve the same shape).
- RSS 2.0 and Atom incident feeds (AWS, Azure, and every Statuspage's history feed), parsed
  with defusedxml: no entity expansion, no external fetch.
- Instatus `/summary.json`: `page.status` and `activeIncidents[]`. Chosen as the third format
  because it is the most used hosted status page after Statuspage among SaaS products, and
  like Statuspage it serves one public JSON summary per page with no key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

# Statuspage component statuses, as indicators (the worst of the chosen components wins).
COMPONENT_INDICATORS = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
IMPACTS = {
    "none": "none",
    "maintenance": "maintenance",
    "minor": "minor",
    "major": "major",
    "critical": "critical",
}
RANK = {"unknown": 0, "none": 1, "maintenance": 2, "minor": 3, "major": 4, "critical": 5}
INSTATUS_PAGE = {"UP": "none", "HASISSUES": "major", "UNDERMAINTENANCE": "maintenance"}
INSTATUS_IMPACT = {
    "DEGRADEDPERFORMANCE": "minor",
    "PARTIALOUTAGE": "major",
    "MAJOROUTAGE": "critical",
    "UNDERMAINTENANCE": "maintenance",
}
# A feed entry is an ongoing incident when it is this recent and does not say it is over.
FEED_ACTIVE = timedelta(hours=6)
FEED_OVER = re.compile(
    r"\b(resolved|operating normally|completed|recovered|mitigated)\b|\[resolved\]", re.I
)
ATOM = "{http://www.w3.org/2005/Atom}"


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


def parse(
    kind: str,
    body: bytes,
    *,
    content_type: str = "",
    components: Sequence[str] = (),
    now: datetime,
) -> Snapshot:
    readers: dict[str, Callable[..., Snapshot]] = {
        "statuspage": statuspage,
        "feed": feed,
        "instatus": instatus,
    }
    return readers[kind](body, content_type=content_type, components=components, now=now)


# --- JSON formats ---------------------------------------------------------------------------


def _json(body: bytes, content_type: str) -> dict[str, Any]:
    head = body.lstrip()[:64].lower()
    if "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<")):
        raise BadPayload("an HTML page, not JSON (an error page or a login wall?)")
    try:
        found = json.loads(body)
    except UnicodeDecodeError:
        raise BadPayload("not UTF-8 text") from None
    except ValueError as exc:
        raise BadPayload(f"invalid JSON ({exc})") from None
    if not isinstance(found, dict):
        raise BadPayload("JSON, but not an object")
    return found


def _when(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _text(value: object, limit: int = 300) -> str:
    return value.strip()[:limit] if isinstance(value, str) else ""


def _dicts(value: object) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def statuspage(
    body: bytes, *, content_type: str, components: Sequence[str], now: datetime
) -> Snapshot:
    data = _json(body, content_type)
    status = data.get("status")
    if not isinstance(status, dict) or status.get("indicator") not in IMPACTS:
        raise BadPayload("not a Statuspage summary: no status.indicator")
    page = data["page"] if isinstance(data.get("page"), dict) else {}
    indicator, description = str(status["indicator"]), _text(status.get("description"), 200)
    wanted = {name.casefold() for name in components}
    chosen_ids: set[str] = set()
    if wanted:
        chosen = [
            c for c in _dicts(data.get("components")) if _text(c.get("name")).casefold() in wanted
        ]
        if not chosen:
            raise BadPayload(f"none of the components {', '.join(components)} is on the page")
        chosen_ids = {str(c.get("id")) for c in chosen}
        worst = max(
            chosen, key=lambda c: RANK[COMPONENT_INDICATORS.get(str(c.get("status")), "none")]
        )
        indicator = COMPONENT_INDICATORS.get(str(worst.get("status")), "unknown")
        description = f"{_text(worst.get('name'), 100)}: {_text(worst.get('status'), 60)}"
    items = []
    for incident in _dicts(data.get("incidents")):
        touched = {str(c.get("id")) for c in _dicts(incident.get("components"))}
        if wanted and not touched & chosen_ids:
            continue
        announced = _when(incident.get("created_at")) or _when(incident.get("started_at"))
        if not incident.get("id") or announced is None:
            continue
        items.append(
            Item(
                external_id=str(incident["id"]),
                title=_text(incident.get("name")) or "?",
                url=_text(incident.get("shortlink"), 500),
                announced_at=announced,
                impact=IMPACTS.get(str(incident.get("impact")), "unknown"),
                updated_at=_when(incident.get("updated_at")),
                resolved=incident.get("status") in ("resolved", "postmortem"),
            )
        )
    return Snapshot(indicator, description, _when(page.get("updated_at")), tuple(items))


def instatus(
    body: bytes, *, content_type: str, components: Sequence[str], now: datetime
) -> Snapshot:
    data = _json(body, content_type)
    page = data.get("page")
    if not isinstance(page, dict) or page.get("status") not in INSTATUS_PAGE:
        raise BadPayload("not an Instatus summary: no page.status")
    items = []
    for incident in _dicts(data.get("activeIncidents")):
        announced = _when(incident.get("started"))
        if not incident.get("id") or announced is None:
            continue
        items.append(
            Item(
                external_id=str(incident["id"]),
                title=_text(incident.get("name")) or "?",
                url=_text(incident.get("url"), 500),
                announced_at=announced,
                impact=INSTATUS_IMPACT.get(str(incident.get("impact")), "unknown"),
                updated_at=_when(incident.get("updatedAt")),
                resolved=incident.get("status") == "RESOLVED",
            )
        )
    indicator = INSTATUS_PAGE[str(page["status"])]
    if items and indicator != "maintenance":
        indicator = max((item.impact for item in items), key=lambda i: RANK[i])
    latest = max((i.updated_at or i.announced_at for i in items), default=None)
    return Snapshot(indicator, _text(page.get("name"), 200), latest, tuple(items))


# --- Feeds ----------------------------------------------------------------------------------


def feed(body: bytes, *, content_type: str, components: Sequence[str], now: datetime) -> Snapshot:
    try:
        root = safe_xml.fromstring(body)
    except DefusedXmlException as exc:
        raise BadPayload(f"a feed with forbidden XML constructs ({type(exc).__name__})") from None
    except Exception as exc:  # noqa: BLE001 - expat's ParseError and its kin
        raise BadPayload(f"not well-formed XML ({exc})") from None
    if root.tag == "rss":
        entries = [_rss_item(item) for item in root.iter("item")]
    elif root.tag == f"{ATOM}feed":
        entries = [_atom_entry(entry) for entry in root.iter(f"{ATOM}entry")]
    else:
        raise BadPayload(f"XML, but neither RSS nor Atom (root <{root.tag}>)")
    wanted = [name.casefold() for name in components]
    items = []
    for external_id, title, url, announced, updated, text in entries:
        if announced is None or not external_id:
            continue
        if wanted and not any(name in f"{title} {text}".casefold() for name in wanted):
            continue
        latest = updated or announced
        over = bool(FEED_OVER.search(f"{title} {text}")) or now - latest > FEED_ACTIVE
        items.append(
            Item(
                external_id[:300],
                title[:300] or "?",
                url[:500],
                "unknown",
                announced,
                updated,
                over,
            )
        )
    live = [item for item in items if not item.resolved]
    indicator = "minor" if live else "none"
    latest_at = max((i.updated_at or i.announced_at for i in items), default=None)
    title = _text(root.findtext("channel/title") or root.findtext(f"{ATOM}title"), 200)
    return Snapshot(indicator, title, latest_at, tuple(items), lists_unresolved_only=False)


Entry = tuple[str, str, str, datetime | None, datetime | None, str]


def _rss_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return _when(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rss_item(item: Element) -> Entry:
    link = (item.findtext("link") or "").strip()
    guid = (item.findtext("guid") or "").strip() or link
    when = _rss_date(item.findtext("pubDate"))
    text = (item.findtext("description") or "")[:2000]
    return guid, (item.findtext("title") or "").strip(), link, when, None, text


def _atom_entry(entry: Element) -> Entry:
    link = ""
    for candidate in entry.findall(f"{ATOM}link"):
        if candidate.get("rel", "alternate") == "alternate":
            link = candidate.get("href", "")
            break
    published = _when((entry.findtext(f"{ATOM}published") or "").strip())
    updated = _when((entry.findtext(f"{ATOM}updated") or "").strip())
    text = (entry.findtext(f"{ATOM}summary") or entry.findtext(f"{ATOM}content") or "")[:2000]
    return (
        (entry.findtext(f"{ATOM}id") or link).strip(),
        (entry.findtext(f"{ATOM}title") or "").strip(),
        link,
        published or updated,
        updated,
        text,
    )
