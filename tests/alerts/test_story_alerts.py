"""The story replay (DESIGN.md section 1) with subscribers: the open webhook goes out on the
first dispatch after the detection pass that opened the incident, exactly once per
subscription, followed by the level change and the close; all verified by a local receiver
with the reference `standardwebhooks` library. Everything runs on the simulated clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from alerts.services.delivery import deliveries_send, events_fan_out
from outages.detection.timebuckets import MINUTE
from outages.models import Incident, IncidentEvent, Service
from outages.services.detection import detection_pass
from reports.selectors import report_diversity
from reports.simulation import Summary, simulation_run
from tests.alerts.conftest import webhook
from tests.alerts.receiver import Receiver, running
from tests.conftest import drain_all
from tests.outages.test_story_replay import SCENARIO, rise

pytestmark = [pytest.mark.django_db, pytest.mark.services, pytest.mark.usefixtures("loopback")]
DISPATCH_EVERY = timedelta(seconds=5)  # the beat entry alerts-dispatch


class Closed(Exception):
    """The incident was closed and its close delivered: the replay can stop."""


def test_the_twitter_outage_alerts_each_subscriber_once_per_transition(settings, redis_client):
    settings.INTAKE_BUFFER = "redis"
    call_command("seed", "--days=14", f"--until={SCENARIO.start.isoformat()}",
                 "--services=twitter", "--seed=7")  # fmt: skip
    service = Service.objects.get(slug="twitter")
    with running(Receiver(secrets=[])) as first, running(Receiver(secrets=[])) as second:
        webhook(service, first)
        webhook(service, second, format="slack")
        arrivals: list[tuple[datetime, Receiver, str]] = []

        def minute_done(minute: datetime, summary: Summary) -> None:
            drain_all(redis_client)
            passed = minute + MINUTE + timedelta(seconds=5)
            detection_pass(now=passed, diversity=report_diversity)
            now = passed + DISPATCH_EVERY  # the next dispatch on beat's schedule
            seen = {id(r): len(r.received) for r in (first, second)}
            events_fan_out(now=now)
            while deliveries_send(now=now):
                pass
            for receiver in (first, second):
                for got in receiver.received[seen[id(receiver)] :]:
                    arrivals.append((now, receiver, got.headers["webhook-id"]))
            if any(json.loads(r.body).get("type") == "incident.closed" for r in first.received):
                raise Closed

        # The scenario's hours, then quiet ones until the incident closes (its tail is long).
        try:
            simulation_run(slugs=["twitter"], start=SCENARIO.start,
                           minutes=SCENARIO.minutes + 240, scenario=SCENARIO, seed=11,
                           progress=minute_done)  # fmt: skip
        except Closed:
            pass
        incident = Incident.objects.get(service=service, dimension="")
        events = list(IncidentEvent.objects.values_list("kind", "at"))
        assert incident.status == "closed", (incident.ended_at, events)
        assert all(r.verified for r in first.received + second.received)
        types = [json.loads(r.body)["type"] for r in first.received]
        assert types == ["incident.opened", "incident.level_changed", "incident.closed"]
        assert len(second.received) == 3  # Slack format: same three messages
        ids = [webhook_id for _, _, webhook_id in arrivals]
        assert len(ids) == len(set(ids)) == 6  # exactly once per (event, subscription)
        opened_at = arrivals[0][0]
        # Sent by the dispatch after the pass that opened it: within 2 minutes of detection.
        assert opened_at - incident.detected_at <= timedelta(minutes=2)
        after_rise = (opened_at - rise()).total_seconds()
        after_open = (opened_at - incident.detected_at).total_seconds()
        print(f"open webhook {after_rise:.0f} s after the rise, {after_open:.0f} s after the open")
