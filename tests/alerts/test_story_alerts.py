"""The story replay (docs/design.md) with subscribers: the open webhook goes out within
2 minutes of the rise, exactly once per subscription, followed by the level change and the
close; all verified by a local receiver with the reference `standardwebhooks` library.

Everything runs on the simulated clock, on the product's schedule: the reports of each
5 seconds are drained as they arrive, the full pass scores each minute 5 seconds after it ends
(beat's detection, DETECTION_DELAY_SECONDS), the early pass runs every 15 seconds (at :00,
:15, :30 and :45 here, the latest the minute's last early pass can fall), and a pass that
leaves events in the outbox has them dispatched at once, as its task does (alerts.dispatch's
5-second beat runs too, just before the passes: without the dispatch on commit, their events
would wait for its next run). Once the open and the level change have arrived, only the close
is awaited, through a long quiet tail: the clock then stops only at the full pass's instant
(the early pass only opens incidents, and the beat's dispatch between passes would find
nothing to send)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from django.core.management import call_command

from alerts.services.delivery import deliveries_send
from alerts.services.fanout import events_fan_out
from outages.models import Incident, IncidentEvent, Service
from outages.services.detection import PassResult, detection_early_pass, detection_pass
from reports.selectors import report_diversity
from reports.simulation import simulation_run
from tests.alerts.conftest import webhook
from tests.alerts.receiver import Receiver, running
from tests.conftest import drain_all
from tests.outages.test_story_replay import SCENARIO, rise

pytestmark = [pytest.mark.django_db, pytest.mark.services, pytest.mark.usefixtures("loopback")]
DETECTION_DELAY = timedelta(seconds=5)  # beat's detection at :00, its passes 5 s later
EARLY_EVERY = 15  # seconds: beat's detection-early
DISPATCH_EVERY = 5  # seconds: beat's alerts-dispatch


class Closed(Exception):
    """The incident was closed and its close delivered: the replay can stop."""


def test_the_twitter_outage_alerts_each_subscriber_once_per_transition(settings, redis_client):
    settings.INTAKE_BUFFER = "redis"
    call_command(
        "seed",
        "--days=14",
        f"--until={SCENARIO.start.isoformat()}",
        "--services=twitter",
        "--seed=7",
        "--no-outages",
    )
    service = Service.objects.get(slug="twitter")
    with running(Receiver(secrets=[])) as first, running(Receiver(secrets=[])) as second:
        webhook(service, first)
        webhook(service, second, format="slack")
        arrivals: list[tuple[datetime, Receiver, str]] = []

        def dispatch(now: datetime) -> None:
            seen = {id(r): len(r.received) for r in (first, second)}
            events_fan_out(now=now)
            while deliveries_send(now=now):
                pass
            for receiver in (first, second):
                for got in receiver.received[seen[id(receiver)] :]:
                    arrivals.append((now, receiver, got.headers["webhook-id"]))

        def tick(now: datetime) -> None:
            if len(first.received) >= 2 and now.second != DETECTION_DELAY.seconds:
                return  # opened and raised: the close comes from a full pass
            drain_all(redis_client)
            dispatch(now)  # the beat's, at its worst phase: just before the passes
            passes: list[PassResult] = []
            if now.second == DETECTION_DELAY.seconds:
                passes.append(detection_pass(now=now, diversity=report_diversity))
            if now.second % EARLY_EVERY == 0:
                passes.append(detection_early_pass(now=now, diversity=report_diversity))
            if any(p.undelivered for p in passes):
                dispatch(now)  # queued by the pass's task once it has committed
            if any(json.loads(r.body).get("type") == "incident.closed" for r in first.received):
                raise Closed

        # The scenario's hours, then quiet ones until the incident closes (its tail is long).
        try:
            simulation_run(
                slugs=["twitter"],
                start=SCENARIO.start,
                minutes=SCENARIO.minutes + 240,
                scenario=SCENARIO,
                seed=11,
                clock=tick,
                clock_seconds=DISPATCH_EVERY,
            )
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
        after_rise = (opened_at - rise()).total_seconds()
        after_open = (opened_at - incident.detected_at).total_seconds()
        print(f"open webhook {after_rise:.0f} s after the rise, {after_open:.0f} s after the open")
        # The incident is detected within two minutes of the rise (its minute label: the early
        # pass opens it during that minute; tests/outages/test_story_replay.py), and the
        # dispatch sends it at its next tick.
        assert opened_at - rise() <= timedelta(minutes=3)
