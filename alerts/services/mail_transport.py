"""The e-mail transport of alerts: messages over ALERTS_SMTP_CONNECTIONS pooled SMTP
connections at once (each message is several SMTP round trips, mostly waiting); the messages
of one subscriber stay on one connection, in order. The messages themselves are
alerts.services.email's."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from alerts.models import Delivery
from alerts.services import email
from alerts.services.alert import Alert
from alerts.services.messages import alert_for, officials_for
from alerts.services.outcomes import DeliveryOutcome, Failed, Sent
from outages.official.selectors import OfficialStatus


def emails_send(deliveries: list[Delivery]) -> list[DeliveryOutcome]:
    """Send claimed e-mail deliveries; one outcome each."""
    count = max(1, min(settings.ALERTS_SMTP_CONNECTIONS, len(deliveries)))
    chunks: list[list[Delivery]] = [[] for _ in range(count)]
    for delivery in deliveries:
        chunks[delivery.subscription_id % count].append(delivery)
    alerts: dict[tuple[int, str], Alert] = {}
    officials = officials_for(d.event for d in deliveries)
    if count == 1:
        return _emails_send_one_connection(deliveries, alerts, officials)
    with ThreadPoolExecutor(max_workers=count) as pool:
        done = pool.map(lambda chunk: _emails_send_one_connection(chunk, alerts, officials), chunks)
        return [outcome for outcomes in done for outcome in outcomes]


def _emails_send_one_connection(
    deliveries: list[Delivery],
    alerts: dict[tuple[int, str], Alert],
    officials: dict[int, OfficialStatus],
) -> list[DeliveryOutcome]:
    outcomes: list[DeliveryOutcome] = []
    smtp = email.connection()
    try:
        smtp.open()
        for delivery in deliveries:
            subscription = delivery.subscription
            try:
                key = (delivery.event_id, subscription.language)
                if key not in alerts:
                    alerts[key] = alert_for(
                        delivery.event,
                        delivery.event.incident,
                        language=subscription.language,
                        officials=officials,
                    )
                message = email.alert_message(subscription, alerts[key])
                message.connection = smtp
                sent = smtp.send_messages([message])
                outcomes.append(Sent(delivery.pk) if sent else Failed(delivery.pk, "not sent"))
            except Exception as exc:  # noqa: BLE001 - one bad message must not stop the batch
                outcomes.append(Failed(delivery.pk, f"{type(exc).__name__}: {exc}"[:200]))
                smtp.close()
                smtp.open()
    except OSError as exc:
        done = {o.delivery_id for o in outcomes}
        outcomes += [Failed(d.pk, f"SMTP: {exc}"[:200]) for d in deliveries if d.pk not in done]
    finally:
        smtp.close()
    return outcomes
