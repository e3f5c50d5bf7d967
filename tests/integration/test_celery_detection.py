"""The detection pass split by service shard across two real Celery worker processes, and a
pass that opens an incident having it delivered at once (no beat running)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery import group

from config.tasks import detection_pass_task
from outages.detection.timebuckets import MINUTE
from outages.models import DetectionCursor, Incident, IncidentEvent
from outages.services.baselines import baselines_fit
from reports.services import report_store_batch
from tests.alerts.conftest import webhook
from tests.alerts.receiver import Receiver, running
from tests.factories import ServiceFactory, report_row
from tests.integration.workers import start_worker, stop, wait_until, worker_env
from tests.outages.test_detection_pass import NOW, write_history

SECOND = timedelta(seconds=1)
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_two_workers_run_the_shards_of_each_minute_and_open_every_incident(tmp_path):
    services = [ServiceFactory(slug=f"shard-{i}") for i in range(4)]
    for i, service in enumerate(services):
        write_history(service.id, days=3, seed=i)
    baselines_fit(now=NOW)
    env = worker_env(tmp_path, DETECTION_SHARDS="2")
    workers = [start_worker(env, beat=False) for _ in range(2)]
    try:
        for i in range(8):
            minute = NOW + i * MINUTE
            # Raw reports from distinct reporters, so the spike passes the diversity rule.
            report_store_batch(
                rows=[
                    report_row(service_id=service.id, received_at=minute + j * SECOND)
                    for service in services
                    for j in range(60)
                ]
            )
            now = (minute + MINUTE).isoformat()
            group(detection_pass_task.s(now, shard, 2) for shard in range(2)).apply_async()
            assert wait_until(
                lambda m=minute: DetectionCursor.objects.filter(minute=m).count() == 2, 60
            ), f"both shards should score {minute}"
    finally:
        for worker in workers:
            stop(worker)
    assert set(Incident.objects.values_list("service__slug", flat=True)) == {
        service.slug for service in services
    }
    assert IncidentEvent.objects.filter(kind="open").count() == 4


def test_a_pass_that_opens_an_incident_has_it_sent_without_waiting_for_beat(settings, tmp_path):
    settings.ALERTS_ALLOW_LOOPBACK, settings.ALERTS_HTTPS_ONLY = True, False
    service = ServiceFactory(slug="chirp")
    write_history(service.id, days=3)
    baselines_fit(now=NOW)
    env = worker_env(tmp_path, ALERTS_ALLOW_LOOPBACK="true", ALERTS_HTTPS_ONLY="false")
    with running(Receiver(secrets=[])) as receiver:
        webhook(service, receiver)
        worker = start_worker(env, beat=False)  # no alerts.dispatch on a schedule
        try:
            for i in range(4):
                minute = NOW + i * MINUTE
                report_store_batch(
                    rows=[
                        report_row(service_id=service.id, received_at=minute + j * SECOND)
                        for j in range(60)
                    ]
                )
                detection_pass_task.delay((minute + MINUTE).isoformat())
            assert wait_until(lambda: len(receiver.received) == 1, 60)
        finally:
            stop(worker)
    assert IncidentEvent.objects.get().delivered_at is not None
