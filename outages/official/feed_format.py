"""RSS 2.0 and Atom incident feeds (AWS's per-service RSS, Azure's, every Statuspage's
`history.rss`/`history.atom`), parsed with defusedxml: no entity expansion, no external fetch.

A feed carries no severity, so one is read from its words:

- An entry is **over** when its title, categories or text say so ("resolved", "operating
  normally", "completed", "recovered", "mitigated") or when it is more than FEED_ACTIVE old
  with no newer update (a feed never says "still going": AWS re-posts while an event lasts).
- An ongoing entry's **impact** comes from its title and categories first, its text only when
  they say nothing, by the first rule that matches, worst first:
  "major/complete/full/total outage" → critical; "service disruption", "outage", "down",
  "unavailable" → major; "performance issues", "degraded", "elevated", "increased",
  "intermittent", "delays", "latency", "errors", "informational message", "investigating" →
  minor; "maintenance" → maintenance; and minor when nothing matches (an entry that does not
  say it is over is a problem, of unknown size).
  AWS titles start with their dashboard's level ("Service disruption:", "Performance
  issues:", "Informational message:", "Service is operating normally:"), which these rules
  read as major, minor, minor and over.
- The feed's indicator is its worst ongoing entry's impact, "none" with none ongoing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from outages.official.snapshot import RANK, BadPayload, Item, Snapshot, looks_like_html, text, when

FEED_ACTIVE = timedelta(hours=6)
FEED_OVER = re.compile(
    r"\b(resolved|operating normally|completed|recovered|mitigated)\b|\[resolved\]", re.I
)
FEED_IMPACTS = (
    ("critical", re.compile(r"\b(major|complete|full|total) outage\b", re.I)),
    (
        "major",
        re.compile(r"\b(service disruption|disruption|outages?|down|unavailable)\b", re.I),
    ),
    (
        "minor",
        re.compile(
            r"\b(performance issues?|degraded|degradation|elevated|increased|intermittent"
            r"|delay(s|ed)?|latency|errors?|informational message|investigating)\b",
            re.I,
        ),
    ),
    ("maintenance", re.compile(r"\bmaintenance\b", re.I)),
)
ATOM = "{http://www.w3.org/2005/Atom}"


def feed_impact(headline: str, body: str) -> str:
    """An ongoing entry's impact from its words (the rule in this module's docstring)."""
    for words in (headline, body):
        for impact, pattern in FEED_IMPACTS:
            if pattern.search(words):
                return impact
    return "minor"


def feed(body: bytes, *, content_type: str, components: Sequence[str], now: datetime) -> Snapshot:
    if looks_like_html(body, content_type):
        raise BadPayload("an HTML page, not a feed (an error page or a login wall?)")
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
    for entry in entries:
        if entry.announced is None or not entry.external_id:
            continue
        if wanted and not any(
            name in f"{entry.headline} {entry.text}".casefold() for name in wanted
        ):
            continue
        latest = entry.updated or entry.announced
        over = bool(FEED_OVER.search(f"{entry.headline} {entry.text}"))
        items.append(
            Item(
                external_id=entry.external_id[:300],
                title=entry.title[:300] or "?",
                url=entry.url[:500],
                impact="none" if over else feed_impact(entry.headline, entry.text),
                announced_at=entry.announced,
                updated_at=entry.updated,
                resolved=over or now - latest > FEED_ACTIVE,
            )
        )
    live = [item.impact for item in items if not item.resolved]
    indicator = max(live, key=lambda impact: RANK[impact]) if live else "none"
    latest_at = max((i.updated_at or i.announced_at for i in items), default=None)
    title = text(root.findtext("channel/title") or root.findtext(f"{ATOM}title"), 200)
    return Snapshot(indicator, title, latest_at, tuple(items), lists_unresolved_only=False)


@dataclass(frozen=True)
class _Entry:
    """One RSS item or Atom entry, as read."""

    external_id: str
    title: str
    url: str
    announced: datetime | None
    updated: datetime | None
    text: str
    categories: tuple[str, ...]

    @property
    def headline(self) -> str:
        """The words that name the entry: its title and the feed's own categories."""
        return " ".join([self.title, *self.categories])


def _rss_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return when(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _rss_item(item: Element) -> _Entry:
    link = (item.findtext("link") or "").strip()
    return _Entry(
        (item.findtext("guid") or "").strip() or link,
        (item.findtext("title") or "").strip(),
        link,
        _rss_date(item.findtext("pubDate")),
        None,
        (item.findtext("description") or "")[:2000],
        tuple((c.text or "").strip() for c in item.findall("category")),
    )


def _atom_entry(entry: Element) -> _Entry:
    link = ""
    for candidate in entry.findall(f"{ATOM}link"):
        if candidate.get("rel", "alternate") == "alternate":
            link = candidate.get("href", "")
            break
    published = when((entry.findtext(f"{ATOM}published") or "").strip())
    updated = when((entry.findtext(f"{ATOM}updated") or "").strip())
    return _Entry(
        (entry.findtext(f"{ATOM}id") or link).strip(),
        (entry.findtext(f"{ATOM}title") or "").strip(),
        link,
        published or updated,
        updated,
        (entry.findtext(f"{ATOM}summary") or entry.findtext(f"{ATOM}content") or "")[:2000],
        tuple(c.get("term", "") or c.get("label", "") for c in entry.findall(f"{ATOM}category")),
    )
