"""The daily digest: e-mail subscribers who chose it get one message a day listing the
service's public incidents of the last 24 hours (none when there were none), instead of an
e-mail per transition."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from alerts.models import Subscription
from alerts.services import email
from outages.models import Incident

PERIOD = timedelta(hours=24)
# A little under a day, so a beat that fires a few seconds early still sends.
MIN_GAP = timedelta(hours=23)


def digests_send(*, now: datetime) -> int:
    """Send every digest due; returns how many were sent. Each subscription is claimed with a
    conditional UPDATE first, so two workers never send the same day's digest twice."""
    due = Subscription.objects.filter(
        Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lt=now - MIN_GAP),
        channel=Subscription.Channel.EMAIL,
        state=Subscription.State.ACTIVE,
        daily_digest=True,
    ).select_related("service")
    incidents_by_service: dict[int, list[Incident]] = {}
    sent = 0
    if not due.exists():  # no mail server is asked anything (the embedded default has none)
        return 0
    smtp = email.connection()
    with smtp:
        for subscription in due.iterator():
            claimed = Subscription.objects.filter(
                pk=subscription.pk, digest_sent_at=subscription.digest_sent_at
            ).update(digest_sent_at=now)
            if not claimed:
                continue
            if subscription.service_id not in incidents_by_service:
                incidents_by_service[subscription.service_id] = list(
                    Incident.objects.filter(
                        Q(ended_at__isnull=True) | Q(ended_at__gte=now - PERIOD),
                        service_id=subscription.service_id,
                        visibility=Incident.Visibility.PUBLIC,
                        started_at__lt=now,
                    ).order_by("started_at")
                )
            incidents = incidents_by_service[subscription.service_id]
            if not incidents:
                continue
            message = digest_message(subscription, incidents)
            message.connection = smtp
            sent += smtp.send_messages([message])
    return sent


def digest_message(subscription: Subscription, incidents: list[Incident]):  # type: ignore[no-untyped-def]
    with translation.override(subscription.language):
        subject = _("%(name)s: your daily digest") % {"name": subscription.service.name}
    return email.templated_message(
        subscription,
        subject=subject,
        template="digest",
        context={"incidents": incidents},
        unsubscribe=True,
    )
