"""One alert as every transport renders it: what happened, to which service, with its links.
Its own module so that the message renderers (messages, chat) share it without importing
each other."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from outages.models import Incident
from outages.official.selectors import OfficialStatus


@dataclass(frozen=True)
class Alert:
    type: str
    title: str
    text: str
    service_slug: str
    service_name: str
    level: int
    incident_url: str
    service_url: str
    feed_atom: str
    feed_rss: str
    event_at: datetime
    incident: Incident
    kind: str
    event_key: str
    language: str = "en"
    # The company's own status page beside the crowd's (None: the service has none), and the
    # sentence that says both ("Users report problems; the company has not acknowledged them
    # yet."), in the subscriber's language; every format carries it.
    official: OfficialStatus | None = None
    official_line: str = ""
