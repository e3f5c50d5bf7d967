"""Celery interfaces of the outages app: thin wrappers that call one service each.

The detection tasks sit at the top layer, so they may hand detection what it needs from the
reports app (the diversity of a spike's reporters), and hand the alerts app the events a pass
recorded, without outages services importing either.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from celery import Task, group, shared_task
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
    # A few seconds late, so the drain has stored the last reports of the minute scored.
    return _per_shard(detection_pass_task, countdown=settings.DETECTION_DELAY_SECONDS)


@shared_task(name="outages.detection_pass", ignore_result=True)
def detection_pass_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return _shard_pass(detection_pass, now, shard_index, shard_count)


@shared_task(name="outages.detection_early_tick", ignore_result=True)
def detection_early_tick_task() -> int:
    """Fan the early pass (the minute in progress) out as one task per shard."""
    return _per_shard(detection_early_pass_task)


@shared_task(name="outages.detection_early_pass", ignore_result=True)
def detection_early_pass_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return _shard_pass(detection_early_pass, now, shard_index, shard_count)


@shared_task(name="outages.baselines_fit_tick", ignore_result=True)
def baselines_fit_tick_task() -> int:
    return _per_shard(baselines_fit_task)


@shared_task(name="outages.baselines_fit", ignore_result=True)
def baselines_fit_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return baselines_fit(now=datetime.fromisoformat(now), shard=Shard(shard_index, shard_count))


def _per_shard(task: Task[..., int], **options: Any) -> int:
    """One `task(now, shard_index, shard_count)` per shard, in a group; returns the count."""
    now = timezone.now().isoformat()
    shards = settings.DETECTION_SHARDS
    group(task.s(now, i, shards) for i in range(shards)).apply_async(**options)
    return shards


def _shard_pass(run: Callable[..., PassResult], now: str, index: int, count: int) -> int:
    """One shard's detection pass (full or early). The events it left in the outbox are
    delivered at once (its transaction has committed), not at the next beat of
    alerts.dispatch, which stays as the safety net."""
    result = run(now=datetime.fromisoformat(now), shard=Shard(index, count),
                 diversity=report_diversity)  # fmt: skip
    if result.undelivered:
        dispatch_task.delay()
    return result.events
