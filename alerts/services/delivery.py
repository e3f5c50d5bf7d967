"""Delivery from the incident-event outbox.

1. `events_fan_out` claims undelivered outbox events and writes one Delivery row per matching
   subscription (unique per pair, so a second fan-out of the same event adds nothing).
2. `deliveries_send` claims due rows under a lease, sends them (webhooks on a thread pool, e-mail
   over one SMTP connection), and records each outcome with a conditional UPDATE: a row is
   marked sent once, and a sent row is never claimed again. A worker killed mid-send leaves its
   rows leased; once the lease runs out they are sent again under the same webhook-id.
Failures retry with exponential backoff and jitter (between half and all of the step); a
subscription failing ALERTS_PAUSE_AFTER_FAILURES times in a row is paused and its owner told
(if we have an address).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from alerts import signing, ssrf
from alerts.models import Delivery, Subscription
from alerts.services import chat, email
from alerts.services.messages import Alert, alert_for, webhook_body
from alerts.services.subscriptions import signing_secrets, webhook_policy
from official.selectors import incident_acknowledged
from outages.models import Dimension, Incident, IncidentEvent

log = logging.getLogger(__name__)
# A narrowed subscription hears of a service-wide incident when its platform, problem or
# country holds at least this share of the incident's reports.
NARROW_MIN_SHARE = 0.05
FOLLOW_UPS = (IncidentEvent.Kind.LEVEL, IncidentEvent.Kind.CLOSE, IncidentEvent.Kind.RETRACT)
# Deliveries of one event in one language and format share one rendered webhook body.
BodyKey = tuple[int, str, str]  # (event id, language, format)


# --- fan-out --------------------------------------------------------------------------------


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
        rows.append(Delivery(event=event, subscription=subscription, status=status, note=note,
                             next_attempt_at=now))  # fmt: skip
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


# --- sending --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    ok: bool
    status: int | None = None
    note: str = ""


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


def _webhook_send(
    delivery: Delivery, *, now: datetime, policy: ssrf.Policy, bodies: dict[BodyKey, bytes]
) -> Outcome:
    subscription = delivery.subscription
    key = (delivery.event_id, subscription.language, subscription.format)
    body = bodies.get(key)
    if body is None:
        alert = alert_for(delivery.event, delivery.event.incident, language=subscription.language)
        body = bodies[key] = webhook_body(alert, format=subscription.format)
    url, body = chat.chat_request(subscription.url, subscription.format, body)
    message_id = delivery.message_id
    headers = signing.headers(
        signing_secrets(subscription, now=now), message_id=message_id,
        timestamp=int(time.time()), body=body,
    )  # fmt: skip
    headers["user-agent"] = "outages-alerts/1"
    try:
        answer = ssrf.post(url, body, headers, policy=policy)
    except ssrf.Refused as exc:
        return Outcome(delivery.pk, False, None, f"refused: {exc}"[:200])
    except Exception as exc:  # noqa: BLE001 - any transport failure is a failed attempt
        return Outcome(delivery.pk, False, None, f"{type(exc).__name__}: {exc}"[:200])
    ok = 200 <= answer.status < 300
    return Outcome(delivery.pk, ok, answer.status, "" if ok else f"HTTP {answer.status}")


def _emails_send(deliveries: list[Delivery]) -> list[Outcome]:
    """Over ALERTS_SMTP_CONNECTIONS connections at once (each message is several SMTP round
    trips, mostly waiting); the messages of one subscriber stay on one connection, in order."""
    count = max(1, min(settings.ALERTS_SMTP_CONNECTIONS, len(deliveries)))
    chunks: list[list[Delivery]] = [[] for _ in range(count)]
    for delivery in deliveries:
        chunks[delivery.subscription_id % count].append(delivery)
    alerts: dict[tuple[int, str], Alert] = {}
    if count == 1:
        return _emails_send_one_connection(deliveries, alerts)
    with ThreadPoolExecutor(max_workers=count) as pool:
        done = pool.map(lambda chunk: _emails_send_one_connection(chunk, alerts), chunks)
        return [outcome for outcomes in done for outcome in outcomes]


def _emails_send_one_connection(
    deliveries: list[Delivery], alerts: dict[tuple[int, str], Alert]
) -> list[Outcome]:
    outcomes = []
    smtp = email.connection()
    try:
        smtp.open()
        for delivery in deliveries:
            subscription = delivery.subscription
            try:
                key = (delivery.event_id, subscription.language)
                if key not in alerts:
                    alerts[key] = alert_for(delivery.event, delivery.event.incident,
                                            language=subscription.language)  # fmt: skip
                alert = alerts[key]
                message = email.alert_message(subscription, alert)
                message.connection = smtp
                sent = smtp.send_messages([message])
                outcomes.append(Outcome(delivery.pk, bool(sent), None, "" if sent else "not sent"))
            except Exception as exc:  # noqa: BLE001 - one bad message must not stop the batch
                outcomes.append(
                    Outcome(delivery.pk, False, None, f"{type(exc).__name__}: {exc}"[:200])
                )
                smtp.close()
                smtp.open()
    except OSError as exc:
        done = {o.delivery_id for o in outcomes}
        outcomes += [Outcome(d.pk, False, None, f"SMTP: {exc}"[:200]) for d in deliveries
                     if d.pk not in done]  # fmt: skip
    finally:
        smtp.close()
    return outcomes


def deliveries_send(*, now: datetime, limit: int = 200) -> int:
    """Claim and send one batch of due deliveries; returns how many were claimed."""
    deliveries = _claim(now=now, limit=limit)
    if not deliveries:
        return 0
    outcomes: list[Outcome] = []
    live, hooks, mails = [], [], []
    for delivery in deliveries:
        if not delivery.subscription.is_active:
            outcomes.append(Outcome(delivery.pk, False, None, "skipped"))
        elif delivery.subscription.channel == Subscription.Channel.WEBHOOK:
            hooks.append(delivery)
        else:
            mails.append(delivery)
        live.append(delivery)
    if hooks:
        policy = webhook_policy()
        # One subscription's deliveries go in event order, one after the other; subscriptions
        # in parallel. Threads only wait on sockets: the database is touched by this one alone.
        queues: dict[int, list[Delivery]] = {}
        for delivery in sorted(hooks, key=lambda d: d.event_id):
            queues.setdefault(delivery.subscription_id, []).append(delivery)

        bodies: dict[BodyKey, bytes] = {}

        def send_queue(queue: list[Delivery]) -> list[Outcome]:
            return [_webhook_send(d, now=now, policy=policy, bodies=bodies) for d in queue]

        threads = min(settings.ALERTS_SEND_THREADS, len(queues))
        with ThreadPoolExecutor(max_workers=threads) as pool:
            for done in pool.map(send_queue, queues.values()):
                outcomes += done
    if mails:
        outcomes += _emails_send(mails)
    _record(deliveries, outcomes, now=now)
    return len(deliveries)


def _record(deliveries: Iterable[Delivery], outcomes: list[Outcome], *, now: datetime) -> None:
    by_id = {d.pk: d for d in deliveries}
    sent = [o for o in outcomes if o.ok]
    skipped = [o for o in outcomes if o.note == "skipped"]
    failed = [o for o in outcomes if not o.ok and o.note != "skipped"]
    with transaction.atomic():
        # Conditional on the lease still being ours: a row is marked sent exactly once.
        for status_code, group in _by_status(sent).items():
            Delivery.objects.filter(
                id__in=[o.delivery_id for o in group], status=Delivery.Status.SENDING
            ).update(status=Delivery.Status.SENT, sent_at=now, response_status=status_code,
                     claimed_until=None, note="")  # fmt: skip
        Delivery.objects.filter(
            id__in=[o.delivery_id for o in skipped], status=Delivery.Status.SENDING
        ).update(status=Delivery.Status.SKIPPED, claimed_until=None, note="subscription inactive")
        Subscription.objects.filter(
            pk__in={by_id[o.delivery_id].subscription_id for o in sent}, consecutive_failures__gt=0
        ).update(consecutive_failures=0)
        for outcome in failed:
            delivery = by_id[outcome.delivery_id]
            final = delivery.attempts >= settings.ALERTS_MAX_ATTEMPTS
            Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.SENDING).update(
                status=Delivery.Status.FAILED if final else Delivery.Status.PENDING,
                next_attempt_at=now + backoff(delivery.attempts), claimed_until=None,
                response_status=outcome.status, note=outcome.note,
            )  # fmt: skip
            Subscription.objects.filter(pk=delivery.subscription_id).update(
                consecutive_failures=F("consecutive_failures") + 1
            )
    for subscription_id in {by_id[o.delivery_id].subscription_id for o in failed}:
        subscription_pause_if_failing(subscription_id, now=now)


def _by_status(outcomes: list[Outcome]) -> dict[int | None, list[Outcome]]:
    groups: dict[int | None, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.status, []).append(outcome)
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
