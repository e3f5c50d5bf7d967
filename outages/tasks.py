"""Celery interfaces of the outages app: thin wrappers that call one service each.

The detection tasks sit at the top layer, so they may hand detection what it needs from the
reports app (the diversity of a spike's reporters), and hand the alerts app the events a pass
recorded, without outages services importing either.
"""

from __future__ import annotations

from datetime import datetime

from celery import group, shared_task
from django.conf import settings
from django.utils import timezone

from alerts.tasks import dispatch_task
from outages.services.baselines import baselines_fit
from outages.services.detection import PassResult, detection_early_pass, detection_pass
from outages.services.series import Shard
from reports.selectors import report_diversity


@shared_task(name="outages.detection_tick", ignore_result=True)
def detection_tick_task() -> int:
    """Fan the minute's pass out as one task per shard (DETECTION_SHARDS)."""
    now = timezone.now().isoformat()
    shards = settings.DETECTION_SHARDS
    # A few seconds late, so the drain has stored the last reports of the minute scored.
    tasks = group(detection_pass_task.s(now, i, shards) for i in range(shards))
    tasks.apply_async(countdown=settings.DETECTION_DELAY_SECONDS)
    return shards


@shared_task(name="outages.detection_pass", ignore_result=True)
def detection_pass_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    result = detection_pass(
        now=datetime.fromisoformat(now),
        shard=Shard(shard_index, shard_count),
        diversity=report_diversity,
    )
    _deliver_now(result)
    return result.events


@shared_task(name="outages.detection_early_tick", ignore_result=True)
def detection_early_tick_task() -> int:
    """Fan the early pass (the minute in progress) out as one task per shard."""
    now = timezone.now().isoformat()
    shards = settings.DETECTION_SHARDS
    group(detection_early_pass_task.s(now, i, shards) for i in range(shards)).apply_async()
    return shards


@shared_task(name="outages.detection_early_pass", ignore_result=True)
def detection_early_pass_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    result = detection_early_pass(
        now=datetime.fromisoformat(now),
        shard=Shard(shard_index, shard_count),
        diversity=report_diversity,
    )
    _deliver_now(result)
    return result.events


def _deliver_now(result: PassResult) -> None:
    """A pass that left events in the outbox has them delivered at once (its transaction has
    committed), not at the next beat of alerts.dispatch, which stays as the safety net."""
    if result.undelivered:
        dispatch_task.delay()


@shared_task(name="outages.baselines_fit_tick", ignore_result=True)
def baselines_fit_tick_task() -> int:
    now = timezone.now().isoformat()
    shards = settings.DETECTION_SHARDS
    group(baselines_fit_task.s(now, i, shards) for i in range(shards)).apply_async()
    return shards


@shared_task(name="outages.baselines_fit", ignore_result=True)
def baselines_fit_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return baselines_fit(now=datetime.fromisoformat(now), shard=Shard(shard_index, shard_count))
