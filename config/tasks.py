"""The detection tasks, composed here at the top: a pass (outages) needs the diversity of a
spike's reporters (reports) and hands the events it recorded to delivery (alerts). Wiring them
here keeps every arrow pointing down (docs/architecture.md); the task names stay "outages.*",
which the beat schedule (config/celery.py) and queued messages use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from celery import shared_task
from django.conf import settings

from alerts.tasks import dispatch_task
from outages.services.detection import PassResult, detection_early_pass, detection_pass
from outages.services.series import Shard
from outages.tasks import per_shard
from reports.selectors import report_diversity


@shared_task(name="outages.detection_tick", ignore_result=True)
def detection_tick_task() -> int:
    """Fan the minute's pass out as one task per shard (DETECTION_SHARDS)."""
    # A few seconds late, so the drain has stored the last reports of the minute scored.
    return per_shard(detection_pass_task, countdown=settings.DETECTION_DELAY_SECONDS)


@shared_task(name="outages.detection_pass", ignore_result=True)
def detection_pass_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return _shard_pass(detection_pass, now, shard_index, shard_count)


@shared_task(name="outages.detection_early_tick", ignore_result=True)
def detection_early_tick_task() -> int:
    """Fan the early pass (the minute in progress) out as one task per shard."""
    return per_shard(detection_early_pass_task)


@shared_task(name="outages.detection_early_pass", ignore_result=True)
def detection_early_pass_task(now: str, shard_index: int = 0, shard_count: int = 1) -> int:
    return _shard_pass(detection_early_pass, now, shard_index, shard_count)


def _shard_pass(run: Callable[..., PassResult], now: str, index: int, count: int) -> int:
    """One shard's detection pass (full or early). The events it left in the outbox are
    delivered at once (its transaction has committed), not at the next beat of
    alerts.dispatch, which stays as the safety net."""
    shard = Shard(index, count)
    result = run(now=datetime.fromisoformat(now), shard=shard, diversity=report_diversity)
    if result.undelivered:
        dispatch_task.delay()
    return result.events
