"""The daily digest: one e-mail a day listing the last 24 hours' incidents, for subscribers
who chose it instead of a message per transition; nothing on a quiet day; never twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Delivery
from alerts.services.delivery import deliveries_send
from alerts.services.digest import digests_send
from alerts.services.fanout import events_fan_out
from alerts.services.subscriptions import subscription_create
from alerts.tasks import confirmation_enqueue
from tests.alerts.conftest import incident_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]


def digest_subscriber(service):  # type: ignore[no-untyped-def]
    created = subscription_create(
        service=service,
        channel="email",
        email="d@example.com",
        daily_digest=True,
        confirmation_enqueue=confirmation_enqueue,
    )
    created.subscription.state = "active"
    created.subscription.save()
    mail.outbox.clear()  # the confirmation
    return created.subscription


def test_one_digest_a_day_instead_of_instant_mails(service):
    digest_subscriber(service)
    now = timezone.now()
    assert digests_send(now=now) == 0  # a quiet day: nothing
    incident_event(service)
    events_fan_out(now=now)
    deliveries_send(now=now)
    assert not Delivery.objects.exists() and mail.outbox == []
    later = now + timedelta(hours=24)
    assert digests_send(now=later) == 1
    [digest] = mail.outbox
    assert digest.subject == "Twitter: your daily digest"
    assert "Problems" in digest.body and "feed.atom" in digest.body
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert digests_send(now=later + timedelta(hours=1)) == 0  # not twice the same day


def test_with_no_digest_due_no_mail_server_is_contacted(settings, service):
    from alerts.services.digest import digests_send
    from tests.ports import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens

    assert digests_send(now=timezone.now()) == 0
