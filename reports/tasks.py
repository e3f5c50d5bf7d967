"""Celery interfaces of the reports app: thin wrappers that call one service each."""

from __future__ import annotations

import os
import socket
from dataclasses import asdict

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from common.redis import redis_client
from reports.intake.buffer import intake_keys_expire, intake_keys_to_redis
from reports.intake.fingerprint import salt_rotate
from reports.privacy import privacy_retention
from reports.retention import report_storage_upkeep
from reports.services import report_drain, stream_consumers_prune
from reports.simulation import simulation_tick


def consumer_name() -> str:
    """One stream consumer per worker process, so a crashed one's entries can be claimed."""
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="reports.drain", ignore_result=True)
def report_drain_task() -> int:
    # Redis is up if this runs: first give it the dedupe keys opened while it was not.
    intake_keys_to_redis(client=redis_client(), now=timezone.now())
    return report_drain(
        redis=redis_client(),
        stream=settings.INTAKE_STREAM,
        group=settings.INTAKE_STREAM_GROUP,
        consumer=consumer_name(),
        batch_size=settings.DRAIN_BATCH_SIZE,
        budget_seconds=settings.DRAIN_BUDGET_SECONDS,
        claim_idle_ms=settings.DRAIN_CLAIM_IDLE_MS,
    )


@shared_task(name="reports.intake_keys_expire", ignore_result=True)
def intake_keys_expire_task() -> int:
    return intake_keys_expire(now=timezone.now())


@shared_task(name="reports.storage_upkeep", ignore_result=True)
def report_storage_upkeep_task() -> dict[str, int]:
    upkeep = report_storage_upkeep(now=timezone.now(), ledger_hours=settings.REPORT_ID_LEDGER_HOURS)
    return asdict(upkeep)


@shared_task(name="reports.salt_rotate", ignore_result=True)
def salt_rotate_task() -> int:
    return salt_rotate(now=timezone.now())


@shared_task(name="reports.stream_consumers_prune", ignore_result=True)
def stream_consumers_prune_task() -> int:
    return stream_consumers_prune(
        redis=redis_client(),
        stream=settings.INTAKE_STREAM,
        group=settings.INTAKE_STREAM_GROUP,
        idle_ms=3_600_000,
    )


# The beat schedule's period (config/celery.py): each tick sends that many seconds of traffic.
_TICK_SECONDS = 10


@shared_task(name="reports.simulate_tick", ignore_result=True)
def simulation_tick_task() -> int:
    """Demo only: a little live traffic through the real intake, with the demo's scheduled
    outages (the first within 3 minutes of the first tick); returns how many counted."""
    return simulation_tick(now=timezone.now(), seconds=_TICK_SECONDS).counted


# Its name is kept from when it lived in the moderation app: beat and queued messages use it.
@shared_task(name="moderation.privacy_retention", ignore_result=True)
def privacy_retention_task() -> dict[str, int]:
    found = privacy_retention(now=timezone.now(), days=settings.REPORT_RETENTION_DAYS)
    return asdict(found)
