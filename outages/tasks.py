"""Celery interfaces of the outages app: thin wrappers that call one service each.

The detection tasks need the reports app (the diversity of a spike's reporters) and the alerts
app (delivery of the events a pass recorded), so they are composed above both, in
config/tasks.py; the baseline fit needs neither and stays here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import Task, group, shared_task
from django.conf import settings
from django.utils import timezone

from outages.services.baselines import baselines_fit
from outages.services.series import Shard


@shared_task(name="outages.baselines_fit_tick", ignore_result=True)
def baselines_fit_tick_task() -> int:
    return per_shard(baselines_fit_task)


@shared_task(name="outages.baselines_fit", ignore_result=True)
def baselines_fit_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return baselines_fit(now=datetime.fromisoformat(now), shard=Shard(shard_index, shard_count))


def per_shard(task: Task[..., int], **options: Any) -> int:
    """One `task(now, shard_index, shard_count)` per shard, in a group; returns the count."""
    now = timezone.now().isoformat()
    shards = settings.DETECTION_SHARDS
    group(task.s(now, i, shards) for i in range(shards)).apply_async(**options)
    return shards
