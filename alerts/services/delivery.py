"""Sending from the outbox's Delivery rows (alerts.services.fanout writes them).

`deliveries_send` claims due rows under a lease, hands them to their transport (webhooks.py on
a thread pool, mail_transport.py over pooled SMTP connections), and records each typed outcome
(outcomes.py) with a conditional UPDATE: a row is marked sent once, and a sent row is never
claimed again. A worker killed mid-send leaves its rows leased; once the lease runs out they
are sent again under the same webhook-id. Failures retry with exponential backoff and jitter
(between half and all of the step); a subscription failing ALERTS_PAUSE_AFTER_FAILURES times in
a row is paused and its owner told (if we have an address).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from alerts.models import Delivery, Subscription
from alerts.services import email
from alerts.services.mail_transport import emails_send
from alerts.services.outcomes import DeliveryOutcome, Failed, Sent, Skipped
from alerts.services.webhooks import webhooks_send
from outages.models import IncidentEvent

log = logging.getLogger(__name__)


def backoff(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with jitter: between half and all of base * 2^(attempts-1), the
    step capped at an hour (half kept, so retries never bunch up right after a failure)."""
    ceiling = min(settings.ALERTS_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0), 3600.0)
    return timedelta(seconds=(rng or random).uniform(ceiling / 2, ceiling))


def deliveries_release_expired(*, now: datetime) -> int:
    """Rows whose sender died mid-send (lease run out) become due again."""
    return Delivery.objects.filter(status=Delivery.Status.SENDING, claimed_until__lt=now).update(
        status=Delivery.Status.PENDING, claimed_until=None, next_attempt_at=now
    )


def _claim(*, now: datetime, limit: int) -> list[Delivery]:
    with transaction.atomic():
        ids = list(
            Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .select_for_update(skip_locked=True)
            .values_list("id", flat=True)[:limit]
        )
        Delivery.objects.filter(id__in=ids).update(
            status=Delivery.Status.SENDING,
            claimed_until=now + settings.ALERTS_SENDING_LEASE,
            attempts=F("attempts") + 1,
        )
    deliveries = list(Delivery.objects.filter(id__in=ids).select_related("subscription"))
    # A batch is mostly one event for many subscribers: load each event (and its incident and
    # service) once, not once per row.
    events = IncidentEvent.objects.select_related("incident__service").in_bulk(
        {d.event_id for d in deliveries}
    )
    for delivery in deliveries:
        delivery.event = events[delivery.event_id]
        delivery.subscription.service = delivery.event.incident.service
    return deliveries


def deliveries_send(*, now: datetime, limit: int = 200) -> int:
    """Claim and send one batch of due deliveries; returns how many were claimed."""
    deliveries = _claim(now=now, limit=limit)
    if not deliveries:
        return 0
    outcomes: list[DeliveryOutcome] = []
    hooks, mails = [], []
    for delivery in deliveries:
        if not delivery.subscription.is_active:
            outcomes.append(Skipped(delivery.pk, "subscription inactive"))
        elif delivery.subscription.channel == Subscription.Channel.WEBHOOK:
            hooks.append(delivery)
        else:
            mails.append(delivery)
    if hooks:
        outcomes += webhooks_send(hooks, now=now)
    if mails:
        outcomes += emails_send(mails)
    _record(deliveries, outcomes, now=now)
    return len(deliveries)


def _record(
    deliveries: Iterable[Delivery], outcomes: list[DeliveryOutcome], *, now: datetime
) -> None:
    by_id = {d.pk: d for d in deliveries}
    sent = [o for o in outcomes if isinstance(o, Sent)]
    skipped = [o for o in outcomes if isinstance(o, Skipped)]
    failed = [o for o in outcomes if isinstance(o, Failed)]
    with transaction.atomic():
        # Conditional on the lease still being ours: a row is marked sent exactly once.
        for status_code, group in _by_status(sent).items():
            Delivery.objects.filter(
                id__in=[o.delivery_id for o in group], status=Delivery.Status.SENDING
            ).update(
                status=Delivery.Status.SENT,
                sent_at=now,
                response_status=status_code,
                claimed_until=None,
                note="",
            )
        for note, alike in _by_note(skipped).items():
            Delivery.objects.filter(
                id__in=[o.delivery_id for o in alike], status=Delivery.Status.SENDING
            ).update(status=Delivery.Status.SKIPPED, claimed_until=None, note=note)
        Subscription.objects.filter(
            pk__in={by_id[o.delivery_id].subscription_id for o in sent}, consecutive_failures__gt=0
        ).update(consecutive_failures=0)
        for outcome in failed:
            delivery = by_id[outcome.delivery_id]
            final = delivery.attempts >= settings.ALERTS_MAX_ATTEMPTS
            Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
                next_attempt_at=now + backoff(delivery.attempts),
                claimed_until=None,
                response_status=outcome.status,
                note=outcome.note,
            )
            Subscription.objects.filter(pk=delivery.subscription_id).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
    for subscription_id in {by_id[o.delivery_id].subscription_id for o in failed}:
        subscription_pause_if_failing(subscription_id, now=now)


def _by_status(outcomes: list[Sent]) -> dict[int | None, list[Sent]]:
    groups: dict[int | None, list[Sent]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.status, []).append(outcome)
    return groups


def _by_note(outcomes: list[Skipped]) -> dict[str, list[Skipped]]:
    groups: dict[str, list[Skipped]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.note, []).append(outcome)
    return groups


def subscription_pause_if_failing(subscription_id: int, *, now: datetime) -> bool:
    """Pause a subscription after too many failures in a row, once, and tell its owner."""
    paused = Subscription.objects.filter(
        pk=subscription_id,
        state=Subscription.State.ACTIVE,
        consecutive_failures__gte=settings.ALERTS_PAUSE_AFTER_FAILURES,
    ).update(state=Subscription.State.PAUSED, paused_at=now)
    if not paused:
        return False
    subscription = Subscription.objects.select_related("service").get(pk=subscription_id)
    Delivery.objects.filter(Q(status=Delivery.Status.PENDING), subscription=subscription).update(
        status=Delivery.Status.SKIPPED, note="subscription paused"
    )
    if subscription.email:
        try:
            email.paused_notice_message(subscription).send()
        except OSError:
            log.warning("could not send the pause notice of subscription %s", subscription_id)
    return True


def deliveries_due(*, now: datetime) -> int:
    return Delivery.objects.filter(status=Delivery.Status.PENDING, next_attempt_at__lte=now).count()
