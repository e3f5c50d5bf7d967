"""Fan-out from the incident-event outbox: `events_fan_out` claims undelivered outbox events
and writes one Delivery row per matching subscription (unique per pair, so a second fan-out of
the same event adds nothing). Sending them is alerts.services.delivery's.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction

from alerts.models import Delivery, Subscription
from outages.models import Dimension, Incident, IncidentEvent
from outages.official.selectors import incident_acknowledged

# A narrowed subscription hears of a service-wide incident when its platform, problem or
# country holds at least this share of the incident's reports.
NARROW_MIN_SHARE = 0.05


def narrowing_matches(subscription: Subscription, incident: Incident) -> bool:
    """Whether the incident concerns the subscription's platform, problem and country."""
    total = sum(c.get("count", 0) for c in incident.countries) or 0
    country_shares = {c["country"]: c.get("count", 0) / total for c in incident.countries if total}
    checks = (
        (Dimension.PLATFORM, subscription.platform, incident.platforms),
        ("problem", subscription.problem, incident.problems),
        (Dimension.COUNTRY, subscription.country, country_shares),
    )
    for dimension, wanted, shares in checks:
        if not wanted:
            continue
        if incident.dimension == dimension:
            if incident.value != wanted:
                return False
        elif shares.get(wanted, 0.0) < NARROW_MIN_SHARE:
            return False
    return True


def _fan_out_one(event: IncidentEvent, *, now: datetime) -> int:
    incident = event.incident
    if incident.visibility == Incident.Visibility.RETRACTED and event.kind != "retract":
        return 0  # withdrawn before we told anyone: say nothing
    candidates = Subscription.objects.filter(
        service_id=incident.service_id, state=Subscription.State.ACTIVE
    ).exclude(channel=Subscription.Channel.EMAIL, daily_digest=True)  # they get the digest
    if event.kind == IncidentEvent.Kind.OPEN or event.kind == IncidentEvent.Kind.LEVEL:
        candidates = candidates.filter(min_level__lte=event.level)
        if incident_acknowledged(incident):
            candidates = candidates.exclude(only_unacknowledged=True)
    told = set(
        Delivery.objects.filter(event__incident=incident)
        .exclude(status=Delivery.Status.SKIPPED)
        .values_list("subscription_id", flat=True)
    )
    # Cooldown: subscribers told of another incident of this service moments ago (a flapping
    # series) are not told again; the row records why.
    recent = set(
        Delivery.objects.filter(
            event__incident__service_id=incident.service_id,
            event__kind=IncidentEvent.Kind.OPEN,
            created_at__gte=now - settings.ALERTS_COOLDOWN,
        )
        .exclude(event__incident=incident)
        .exclude(status=Delivery.Status.SKIPPED)
        .values_list("subscription_id", flat=True)
    )
    rows = []
    for subscription in candidates.iterator():
        if not narrowing_matches(subscription, incident):
            continue
        status, note = Delivery.Status.PENDING, ""
        if event.kind in (IncidentEvent.Kind.CLOSE, IncidentEvent.Kind.RETRACT):
            if subscription.pk not in told:
                continue  # never told of it: no need to hear it ended
        elif subscription.pk not in told and subscription.pk in recent:
            status, note = Delivery.Status.SKIPPED, "cooldown"
        rows.append(
            Delivery(
                event=event,
                subscription=subscription,
                status=status,
                note=note,
                next_attempt_at=now,
            )
        )
    Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def events_fan_out(*, now: datetime, limit: int = 50) -> int:
    """Fan out the oldest undelivered outbox events; returns the Delivery rows written."""
    written = 0
    with transaction.atomic():
        events = list(
            IncidentEvent.objects.filter(delivered_at__isnull=True)
            .select_related("incident__service")
            .order_by("id")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        for event in events:
            written += _fan_out_one(event, now=now)
        IncidentEvent.objects.filter(pk__in=[e.pk for e in events]).update(delivered_at=now)
    return written
