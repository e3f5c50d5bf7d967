"""What an alert says: one Alert value per (event, subscription), rendered as a Standard
Webhooks JSON payload, a chat message (alerts.services.chat), or an e-mail
(alerts.services.email); each with the official status line."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.services import chat
from alerts.services.alert import Alert
from outages.models import Incident, IncidentEvent
from outages.official.selectors import OfficialStatus, official_statuses
from outages.official.wording import side_by_side

EVENT_TYPES: dict[str, str] = {
    IncidentEvent.Kind.OPEN: "incident.opened",
    IncidentEvent.Kind.LEVEL: "incident.level_changed",
    IncidentEvent.Kind.CLOSE: "incident.closed",
    IncidentEvent.Kind.RETRACT: "incident.retracted",
}
LEVEL_NAMES = {1: "possible_problems", 2: "problems"}


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def officials_for(events: Iterable[IncidentEvent]) -> dict[int, OfficialStatus]:
    """The official status of the events' services, read once for a batch of deliveries
    (by the caller: the transports' threads only wait on sockets)."""
    return official_statuses(service_ids={event.incident.service_id for event in events})


def alert_for(
    event: IncidentEvent,
    incident: Incident,
    *,
    language: str,
    officials: dict[int, OfficialStatus] | None = None,
) -> Alert:
    """The alert of one outbox event, in the subscriber's language. `officials`: the
    services' official statuses read beforehand (officials_for); read here when not given."""
    service = incident.service
    if officials is None:
        officials = official_statuses(service_ids=[incident.service_id])
    official = officials.get(incident.service_id)
    ending = event.kind in (IncidentEvent.Kind.CLOSE, IncidentEvent.Kind.RETRACT)
    with translation.override(language):
        line = side_by_side(crowd_level=0 if ending else event.level, official=official)
        name = service.name
        if event.kind == IncidentEvent.Kind.OPEN:
            if event.level == 2:
                title = _("Problems at %(name)s") % {"name": name}
            else:
                title = _("Possible problems at %(name)s") % {"name": name}
            text = _(
                "Reports of problems with %(name)s have risen well above the usual level "
                "since %(start)s UTC."
            ) % {"name": name, "start": f"{incident.started_at:%H:%M}"}
        elif event.kind == IncidentEvent.Kind.LEVEL:
            title = _("%(name)s: problems confirmed") % {"name": name}
            text = _("Reports keep rising: the outage of %(name)s is now rated “problems”.") % {
                "name": name
            }
        elif event.kind == IncidentEvent.Kind.CLOSE:
            title = _("%(name)s is back to normal") % {"name": name}
            text = _("Reports of problems with %(name)s are back to the usual level.") % {
                "name": name
            }
        else:
            title = _("Withdrawn: the alert about %(name)s") % {"name": name}
            text = _(
                "A moderator withdrew the incident we alerted you about: the reports "
                "behind it were not trustworthy. Please disregard the earlier alert."
            )
        if incident.only and event.kind != IncidentEvent.Kind.RETRACT:
            text += " " + _("Affected: %(only)s only.") % {"only": incident.only.split(":")[1]}
    return Alert(
        type=EVENT_TYPES[event.kind],
        title=title,
        text=text,
        service_slug=service.slug,
        service_name=service.name,
        level=event.level,
        incident_url=absolute(reverse("incident_detail", args=[incident.pk])),
        service_url=absolute(reverse("service_detail", args=[service.slug])),
        feed_atom=absolute(reverse("service_feed_atom", args=[service.slug])),
        feed_rss=absolute(reverse("service_feed_rss", args=[service.slug])),
        event_at=event.at,
        incident=incident,
        kind=event.kind,
        event_key=event.key,
        language=language,
        official=official,
        official_line=line,
    )


def official_payload(alert: Alert) -> dict[str, Any] | None:
    """The standard payload's `official` object: what the company's page says, and the
    sentence in the subscriber's language (null when the service has no official source)."""
    official = alert.official
    if official is None:
        return None
    return {
        "indicator": official.indicator,
        "sentence": alert.official_line,
        "description": official.description,
        "incident_title": official.incident_title,
        "incident_url": official.incident_url or None,
        "link": official.link,
        "updated_at": official.updated_at.isoformat() if official.updated_at else None,
        "failing": official.failing,
        "acknowledged_at": (
            official.acknowledged_at.isoformat() if official.acknowledged_at else None
        ),
        "lead_seconds": official.lead_seconds,
    }


def webhook_body(alert: Alert, *, format: str) -> bytes:
    """The POST body in a subscription's format (compact JSON, signed as sent). It is the same
    for every subscriber of one event, format and language (the webhook-id header tells them
    apart), so a fan-out renders it once."""
    if format in chat.CHAT_FORMATS:
        return chat.chat_body(alert, format=format, language=alert.language)
    else:
        incident = alert.incident
        payload = {
            "type": alert.type,
            "timestamp": alert.event_at.isoformat(),
            "data": {
                "event": alert.event_key,
                "incident": {
                    "id": incident.pk,
                    "level": alert.level,
                    "level_name": LEVEL_NAMES.get(alert.level, ""),
                    "status": incident.status,
                    "started_at": incident.started_at.isoformat(),
                    "detected_at": incident.detected_at.isoformat(),
                    "ended_at": incident.ended_at.isoformat() if incident.ended_at else None,
                    "scope": incident.scope,
                    "segment": {"dimension": incident.dimension, "value": incident.value},
                    "url": alert.incident_url,
                },
                "service": {
                    "slug": alert.service_slug,
                    "name": alert.service_name,
                    "url": alert.service_url,
                },
                "title": alert.title,
                "text": alert.text,
                "feeds": {"atom": alert.feed_atom, "rss": alert.feed_rss},
                "official": official_payload(alert),
            },
        }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
