"""Celery interfaces of the outages app: thin wrappers that call one service each.

The detection tasks sit at the top layer, so they may hand detection what it needs from the
reports app (the diversity of a spike's reporters) without outages services importing it.
"""

from __future__ import annotations

from datetime import datetime

from celery import group, shared_task
from django.conf import settings
from django.utils import timezone

from outages.services.baselines import baselines_fit
from outages.services.detection import detection_pass
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
    return result.events


@shared_task(name="outages.baselines_fit_tick", ignore_result=True)
def baselines_fit_tick_task() -> int:
    now = timezone.now().isoformat()
    shards = settings.DETECTION_SHARDS
    group(baselines_fit_task.s(now, i, shards) for i in range(shards)).apply_async()
    return shards


@shared_task(name="outages.baselines_fit", ignore_result=True)
def baselines_fit_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return baselines_fit(now=datetime.fromisoformat(now), shard=Shard(shard_index, shard_count))
