"""Fan-out from the outbox: who hears of which event, once, and when they stop hearing."""

from __future__ import annotations

import json
import random
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from alerts.models import Delivery, Subscription
from alerts.services.delivery import backoff, deliveries_send
from alerts.services.fanout import events_fan_out
from outages.models import IncidentEvent
from outages.services.incidents import incident_retract
from tests.alerts.conftest import incident_event, webhook
from tests.alerts.receiver import Receiver, running
from tests.factories import IncidentEventFactory, IncidentFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]


def run(at=None) -> None:  # type: ignore[no-untyped-def]
    now = at or timezone.now()
    events_fan_out(now=now)
    while deliveries_send(now=now):
        pass


def kinds(receiver: Receiver) -> list[str]:
    return [json.loads(r.body)["type"] for r in receiver.received]


def test_open_level_close_each_once_and_a_second_fan_out_adds_nothing(service, receiver):
    webhook(service, receiver)
    for kind in ("open", "level", "close"):
        incident_event(service, kind, 2)
        run()
        run()
        IncidentEvent.objects.update(delivered_at=None)  # as if a worker died before marking
        run()
    assert kinds(receiver) == ["incident.opened", "incident.level_changed", "incident.closed"]
    assert Delivery.objects.filter(status="sent").count() == 3


def test_level_threshold_and_follow_ups_only_for_those_told(service, receiver):
    with running(Receiver(secrets=[])) as strict:
        webhook(service, receiver, min_level=1)
        webhook(service, strict, min_level=2)
        incident = IncidentFactory(service=service, level=1)
        for kind, level in (("open", 1), ("level", 2), ("close", 2)):
            IncidentEventFactory(
                key=f"{kind}{level}", incident=incident, kind=kind, level=level, at=timezone.now()
            )
            run()
        assert kinds(receiver) == ["incident.opened", "incident.level_changed", "incident.closed"]
        assert kinds(strict) == ["incident.level_changed", "incident.closed"]


def test_narrowing_by_platform_country_and_problem(service, receiver):
    with running(Receiver(secrets=[])) as android, running(Receiver(secrets=[])) as japan:
        webhook(service, receiver, platform="ios", country="US", problem="login")
        webhook(service, android, platform="android")
        webhook(service, japan, country="JP")
        IncidentFactory(
            service=service,
            platforms={"web": 0.9, "ios": 0.08, "android": 0.02},
            problems={"login": 0.6, "posting": 0.4},
            countries=[{"country": "US", "count": 90}, {"country": "JP", "count": 10}],
        )
        incident_event(service)
        run()
        assert len(receiver.verified) == 1 and len(japan.verified) == 1
        assert android.received == []  # 2% of the reports: not its outage


def test_a_segment_incident_reaches_only_that_segment(service, receiver):
    with running(Receiver(secrets=[])) as web:
        webhook(service, receiver, platform="ios")
        webhook(service, web, platform="web")
        IncidentFactory(service=service, dimension="platform", value="ios", platforms={"ios": 1.0})
        incident_event(service)
        run()
        assert len(receiver.received) == 1 and web.received == []


def test_cooldown_a_flapping_service_does_not_spam(service, receiver):
    webhook(service, receiver)
    first = IncidentFactory(service=service)
    IncidentEventFactory(key="a", incident=first, at=timezone.now())
    IncidentEventFactory(key="b", incident=first, kind="close", at=timezone.now())
    run()
    second = IncidentFactory(service=service, started_at=first.started_at + timedelta(minutes=9))
    IncidentEventFactory(key="c", incident=second, at=timezone.now())
    IncidentEventFactory(key="d", incident=second, kind="close", at=timezone.now())
    run()
    assert kinds(receiver) == ["incident.opened", "incident.closed"]
    skipped = Delivery.objects.get(event__key="c")
    assert (skipped.status, skipped.note) == ("skipped", "cooldown")
    third = IncidentFactory(service=service, started_at=first.started_at + timedelta(minutes=19))
    IncidentEventFactory(key="e", incident=third, at=timezone.now())
    run(at=timezone.now() + timedelta(hours=1))  # past the cooldown
    assert kinds(receiver)[-1] == "incident.opened" and len(receiver.received) == 3


def test_a_retraction_reaches_those_told(service, receiver):
    webhook(service, receiver)
    event = incident_event(service)
    run()
    incident_retract(event.incident, at=timezone.now())
    run()
    assert kinds(receiver) == ["incident.opened", "incident.retracted"]
    assert "withdrew" in json.loads(receiver.received[-1].body)["data"]["text"]


def test_an_incident_retracted_before_fan_out_is_never_announced(service, receiver):
    webhook(service, receiver)
    event = incident_event(service)
    incident_retract(event.incident, at=timezone.now())
    run()
    assert receiver.received == []


def test_pause_after_repeated_failures_with_a_notice(service, settings):
    settings.ALERTS_PAUSE_AFTER_FAILURES = 3
    with running(Receiver(secrets=[], answers=[500])) as failing:
        created = webhook(service, failing, email="ops@example.com")
        incident_event(service)
        now = timezone.now()
        events_fan_out(now=now)
        for _ in range(3):
            deliveries_send(now=now)
            now = Delivery.objects.get().next_attempt_at
        subscription = Subscription.objects.get(pk=created.subscription.pk)
        assert subscription.state == "paused" and subscription.consecutive_failures == 3
        assert Delivery.objects.get().status == "skipped"
        [notice] = mail.outbox
        assert notice.to == ["ops@example.com"] and "paused" in notice.subject
        assert deliveries_send(now=now + timedelta(days=1)) == 0
        assert len(failing.received) == 3


def test_backoff_grows_exponentially_with_jitter(settings):
    settings.ALERTS_BACKOFF_SECONDS = 10
    # The same draw of jitter for each attempt: the waits double exactly, step by step.
    delays = [backoff(n, rng=random.Random(7)).total_seconds() for n in (1, 2, 3, 4)]
    assert delays == pytest.approx([delays[0] * 2**n for n in range(4)])
    assert backoff(30).total_seconds() <= 3600
    # The jitter is real (two senders retrying the same attempt part), and the steps double:
    # the shortest wait of attempt n+1 is the longest of attempt n.
    spread = {backoff(3, rng=random.Random(seed)).total_seconds() for seed in range(20)}
    assert len(spread) == 20 and 20 <= min(spread) < max(spread) <= 40
    assert backoff(4, rng=random.Random(0)) >= backoff(3, rng=random.Random(0))


def test_a_delivery_gives_up_after_the_last_attempt(service, settings):
    settings.ALERTS_MAX_ATTEMPTS = 2
    with running(Receiver(secrets=[], answers=[500])) as failing:
        webhook(service, failing)
        incident_event(service)
        now = timezone.now()
        events_fan_out(now=now)
        deliveries_send(now=now)
        deliveries_send(now=Delivery.objects.get().next_attempt_at)
        delivery = Delivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.note) == ("failed", 2, "HTTP 500")
