"""Status payloads read into one shape (no Django, no network): numbers and words in, a
Snapshot out, or BadPayload with the reason an administrator will read.

- Atlassian Statuspage `/api/v2/summary.json`: `status.indicator`, `components[]`, and the
  unresolved `incidents[]` (GitHub, Discord, Reddit, Zoom, Cloudflare...; incident.io pages
  serve the same shape). Documented on every Statuspage's own `/api` page, e.g.
  https://www.githubstatus.com/api ("Summary") and https://status.chargebee.com/api.
- RSS 2.0 and Atom incident feeds (AWS, Azure, and every Statuspage's history feed): read in
  outages/official/feed_format.py.
- Instatus `/summary.json`: `page.status` and `activeIncidents[]`, as documented at
  https://instatus.com/help/api/public-data. Chosen as the third format because it is the most
  used hosted status page after Statuspage among SaaS products, and like Statuspage it serves
  one public JSON summary per page with no key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from outages.official.feed_format import feed
from outages.official.snapshot import (
    PROBLEMS,
    RANK,
    BadPayload,
    Item,
    Snapshot,
    dicts,
    looks_like_html,
    text,
    when,
)

__all__ = ["BadPayload", "Snapshot", "parse"]

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
# Instatus's statuses (https://instatus.com/help/api/public-data, /help/webhooks, /help/api):
# a component's or incident's impact, in the order Instatus ranks them.
INSTATUS_IMPACT = {
    "OPERATIONAL": "none",
    "UNDERMAINTENANCE": "maintenance",
    "DEGRADEDPERFORMANCE": "minor",
    "PARTIALOUTAGE": "major",
    "MINOROUTAGE": "major",
    "MAJOROUTAGE": "critical",
}
# The public summary's page status is UP, HASISSUES or UNDERMAINTENANCE; the management API
# also answers ALL/SOME/ONE + a component status ("SOMEPARTIALOUTAGE"), read the same way.
INSTATUS_PAGE = {"UP": "none", "HASISSUES": "minor", "UNDERMAINTENANCE": "maintenance"}
INSTATUS_PAGE_PREFIX = re.compile(r"^(ALL|SOME|ONE)(?=[A-Z])")
# The documented `started`: JavaScript's Date.toString(), "Sat Jun 11 2022 18:55:50 GMT+0000
# (Coordinated Universal Time)" (ISO 8601 is read too).
JS_DATE = re.compile(
    r"^[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{1,2}) (\d{4}) "
    r"(\d{2}):(\d{2}):(\d{2}) GMT([+-])(\d{2})(\d{2})"
)
MONTHS = {m: n for n, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}


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
    if looks_like_html(body, content_type) or body.lstrip()[:1] == b"<":
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


def statuspage(
    body: bytes, *, content_type: str, components: Sequence[str], now: datetime
) -> Snapshot:
    data = _json(body, content_type)
    status = data.get("status")
    if not isinstance(status, dict) or status.get("indicator") not in IMPACTS:
        raise BadPayload("not a Statuspage summary: no status.indicator")
    page = data["page"] if isinstance(data.get("page"), dict) else {}
    indicator, description = str(status["indicator"]), text(status.get("description"), 200)
    wanted = {name.casefold() for name in components}
    chosen_ids: set[str] = set()
    if wanted:
        chosen = [
            c for c in dicts(data.get("components")) if text(c.get("name")).casefold() in wanted
        ]
        if not chosen:
            raise BadPayload(f"none of the components {', '.join(components)} is on the page")
        chosen_ids = {str(c.get("id")) for c in chosen}
        worst = max(
            chosen, key=lambda c: RANK[COMPONENT_INDICATORS.get(str(c.get("status")), "none")]
        )
        indicator = COMPONENT_INDICATORS.get(str(worst.get("status")), "unknown")
        description = f"{text(worst.get('name'), 100)}: {text(worst.get('status'), 60)}"
    items = []
    for incident in dicts(data.get("incidents")):
        if wanted and not _touches(incident, chosen_ids, problem=indicator in PROBLEMS):
            continue
        announced = when(incident.get("created_at")) or when(incident.get("started_at"))
        if not incident.get("id") or announced is None:
            continue
        items.append(
            Item(
                external_id=str(incident["id"]),
                title=text(incident.get("name")) or "?",
                url=text(incident.get("shortlink"), 500),
                announced_at=announced,
                impact=IMPACTS.get(str(incident.get("impact")), "unknown"),
                updated_at=when(incident.get("updated_at")),
                resolved=incident.get("status") in ("resolved", "postmortem"),
            )
        )
    return Snapshot(indicator, description, when(page.get("updated_at")), tuple(items))


def _touches(incident: dict[str, Any], chosen_ids: set[str], *, problem: bool) -> bool:
    """Whether a Statuspage incident concerns the chosen components: by its `components[]`
    (real summaries carry them) or its updates' `affected_components[].code`. The documented
    example lists neither; such an incident is kept while a chosen component is not
    operational (it is then most likely about them), dropped otherwise."""
    touched = {str(c.get("id")) for c in dicts(incident.get("components"))}
    for update in dicts(incident.get("incident_updates")):
        touched |= {str(c.get("code")) for c in dicts(update.get("affected_components"))}
    return bool(touched & chosen_ids) if touched else problem


def instatus(
    body: bytes, *, content_type: str, components: Sequence[str], now: datetime
) -> Snapshot:
    """The documented shape: `page {name, url, status}`, `activeIncidents[] {name, started,
    status, impact, url}` and `activeMaintenances[] {name, start, status, duration, url}`. No
    incident id is documented: the incident's URL (which ends in its id) stands for it, and an
    `id` is used when a page sends one."""
    data = _json(body, content_type)
    page = data.get("page")
    status = str(page.get("status")) if isinstance(page, dict) else ""
    page_indicator = INSTATUS_PAGE.get(status) or INSTATUS_IMPACT.get(
        INSTATUS_PAGE_PREFIX.sub("", status)
    )
    if not isinstance(page, dict) or page_indicator is None:
        raise BadPayload("not an Instatus summary: no page.status")
    items = []
    for incident in dicts(data.get("activeIncidents")):
        announced = _instatus_when(incident.get("started"))
        url = text(incident.get("url"), 500)
        title = text(incident.get("name")) or "?"
        external_id = text(incident.get("id")) or url or f"{title}@{incident.get('started')}"
        if announced is None:
            continue
        items.append(
            Item(
                external_id=external_id[:300],
                title=title,
                url=url,
                announced_at=announced,
                impact=INSTATUS_IMPACT.get(str(incident.get("impact")), "unknown"),
                updated_at=_instatus_when(incident.get("updatedAt")),
                resolved=incident.get("status") == "RESOLVED",
            )
        )
    live = [item.impact for item in items if not item.resolved and item.impact in PROBLEMS]
    # The incidents' impacts say how bad; the page's status is the floor ("HASISSUES" alone:
    # minor), and maintenance in progress shows when nothing worse is going on.
    indicator = max([page_indicator, *live], key=lambda i: RANK[i])
    if indicator == "none" and any(
        m.get("status") == "INPROGRESS" for m in dicts(data.get("activeMaintenances"))
    ):
        indicator = "maintenance"
    latest = max((i.updated_at or i.announced_at for i in items), default=None)
    return Snapshot(indicator, text(page.get("name"), 200), latest, tuple(items))


def _instatus_when(value: object) -> datetime | None:
    found = JS_DATE.match(value) if isinstance(value, str) else None
    if found is None:
        return when(value)
    month, day, year, hour, minute, second, sign, off_h, off_m = found.groups()
    if month not in MONTHS:
        return None
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
    zone = timezone(offset)
    try:
        moment = datetime(
            int(year), MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=zone
        )
    except ValueError:
        return None
    return moment.astimezone(UTC)
